// The one reconnect policy (a client to gregord, gregord to Redis and authd): the backoff as a
// pure function of the attempt and an injected random source, every form of the policy with one
// meaning, and its checking through the shared options parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffDelayMs,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_DELAYS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  parseReconnectPolicy,
  reconnectDelayMs,
  SERVER_LINK_RECONNECT_DELAYS,
} from '../../../packages/client/src/rpc/index.js';

const dropped = new Error('connection lost');
const top = () => 1;
const bottom = () => 0;
const half = () => 0.5;

describe('backoffDelayMs (exponential, full jitter, capped)', () => {
  it('draws the delay between 0 and a ceiling that doubles from the base delay', () => {
    assert.equal(backoffDelayMs(1, DEFAULT_RECONNECT_DELAYS, bottom), 0);
    assert.equal(backoffDelayMs(1, DEFAULT_RECONNECT_DELAYS, top), DEFAULT_RECONNECT_BASE_DELAY_MS);
    assert.equal(
      backoffDelayMs(2, DEFAULT_RECONNECT_DELAYS, top),
      DEFAULT_RECONNECT_BASE_DELAY_MS * 2,
    );
    assert.equal(
      backoffDelayMs(3, DEFAULT_RECONNECT_DELAYS, top),
      DEFAULT_RECONNECT_BASE_DELAY_MS * 4,
    );
    assert.equal(
      backoffDelayMs(3, DEFAULT_RECONNECT_DELAYS, half),
      DEFAULT_RECONNECT_BASE_DELAY_MS * 2,
    );
  });

  it('stops doubling at the maximum delay, even after very many attempts', () => {
    for (const attempt of [8, 40, 10_000, Number.MAX_SAFE_INTEGER]) {
      assert.equal(
        backoffDelayMs(attempt, DEFAULT_RECONNECT_DELAYS, top),
        DEFAULT_RECONNECT_MAX_DELAY_MS,
        `attempt ${attempt}`,
      );
    }
    assert.equal(backoffDelayMs(10_000, SERVER_LINK_RECONNECT_DELAYS, top), 2000);
  });

  it('stays within [0, ceiling] whatever the random source draws', () => {
    const delays = { baseDelayMs: 100, maxDelayMs: 1000 };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (const r of [0, 0.1, 0.37, 0.999]) {
        const delay = backoffDelayMs(attempt, delays, () => r);
        assert.ok(delay >= 0 && delay <= ceiling, `attempt ${attempt}, random ${r}: ${delay}`);
        assert.equal(delay, Math.round(r * ceiling));
      }
    }
  });

  it('uses the device delays by default', () => {
    assert.equal(backoffDelayMs(1, undefined, top), DEFAULT_RECONNECT_BASE_DELAY_MS);
  });
});

describe('reconnectDelayMs (one meaning for every form)', () => {
  const at = (policy: Parameters<typeof reconnectDelayMs>[0], attempt: number) =>
    reconnectDelayMs(policy, attempt, dropped, { random: top });

  it('false never reconnects; true and left out retry for ever', () => {
    assert.equal(at(false, 1), false);
    assert.equal(at(true, 1_000_000), DEFAULT_RECONNECT_MAX_DELAY_MS);
    assert.equal(at(undefined, 1_000_000), DEFAULT_RECONNECT_MAX_DELAY_MS);
  });

  it('a number allows that many attempts in a row with the default backoff', () => {
    assert.equal(at(2, 1), DEFAULT_RECONNECT_BASE_DELAY_MS);
    assert.equal(at(2, 2), DEFAULT_RECONNECT_BASE_DELAY_MS * 2);
    assert.equal(at(2, 3), false);
    assert.equal(at(0, 1), false);
  });

  it('an object tunes the attempts and the delays; what it leaves out is the default', () => {
    const policy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 25 };
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => at(policy, n)),
      [10, 20, 25, false],
    );
    assert.equal(at({ baseDelayMs: 10 }, 100), DEFAULT_RECONNECT_MAX_DELAY_MS);
    assert.equal(at({ maxDelayMs: 5 }, 1), 5);
    assert.equal(at({}, 1), DEFAULT_RECONNECT_BASE_DELAY_MS);
  });

  it('the link chooses the default delays', () => {
    const delayMs = reconnectDelayMs(true, 1, dropped, {
      delays: SERVER_LINK_RECONNECT_DELAYS,
      random: top,
    });
    assert.equal(delayMs, SERVER_LINK_RECONNECT_DELAYS.baseDelayMs);
  });

  it('a function gets the attempt and the cause and decides the delay', () => {
    const seen: [number, Error][] = [];
    const policy = (attempt: number, cause: Error) => {
      seen.push([attempt, cause]);
      return attempt < 3 ? attempt * 100 : false;
    };
    assert.equal(at(policy, 1), 100);
    assert.equal(at(policy, 3), false);
    assert.deepEqual(seen, [
      [1, dropped],
      [3, dropped],
    ]);
  });

  it('rejects a function that answers something other than a delay ≥ 0 or false', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => at(() => bad, 1), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message: /reconnect: returned/,
      });
    }
  });
});

describe('parseReconnectPolicy', () => {
  it('keeps every valid form as given', () => {
    const fn = () => 5;
    for (const policy of [true, false, 0, 7, {}, { maxAttempts: 2, baseDelayMs: 1 }, fn]) {
      assert.deepEqual(parseReconnectPolicy(policy, 'invalid test option'), policy);
    }
    assert.equal(parseReconnectPolicy(undefined, 'invalid test option'), undefined);
  });

  it('refuses a bad value with GREGOR_ERR_CONFIG_INVALID naming the option', () => {
    const bad = [
      -1,
      1.5,
      'forever',
      null,
      { maxAttempts: -1 },
      { baseDelayMs: 0 },
      { maxDelayMs: 2 ** 31 },
      { maxAttempts: 1, typo: 2 },
    ];
    for (const policy of bad) {
      assert.throws(
        () => parseReconnectPolicy(policy, 'invalid test option', 'retry'),
        (err: Error & { code?: string }) =>
          err.code === 'GREGOR_ERR_CONFIG_INVALID' &&
          /^invalid test option: retry(\.\w+)?: /.test(err.message),
        JSON.stringify(policy),
      );
    }
  });
});
