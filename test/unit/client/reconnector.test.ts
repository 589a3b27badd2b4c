import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import {
  backoffDelayMs,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  isAuthRefusal,
  Reconnector,
  reconnectDelayMs,
} from '../../../packages/client/src/client/internal.js';
import { type GregorError, gregorError } from '../../../packages/client/src/errors.js';
import { fakeTime } from './fixtures.js';

const dropped = gregorError('GREGOR_ERR_CLOSED', 'connection lost');
const refused = gregorError('GREGOR_ERR_AUTH_FAILED');

describe('backoffDelayMs', () => {
  it('doubles from the base delay, half fixed and half jitter', () => {
    assert.equal(
      backoffDelayMs(1, () => 0),
      DEFAULT_RECONNECT_BASE_DELAY_MS / 2,
    );
    assert.equal(
      backoffDelayMs(1, () => 1),
      DEFAULT_RECONNECT_BASE_DELAY_MS,
    );
    assert.equal(
      backoffDelayMs(3, () => 1),
      DEFAULT_RECONNECT_BASE_DELAY_MS * 4,
    );
    assert.equal(
      backoffDelayMs(3, () => 0.5),
      DEFAULT_RECONNECT_BASE_DELAY_MS * 3,
    );
  });

  it('stops doubling at the maximum delay, even after many attempts', () => {
    assert.equal(
      backoffDelayMs(40, () => 1),
      DEFAULT_RECONNECT_MAX_DELAY_MS,
    );
    assert.equal(
      backoffDelayMs(10_000, () => 0),
      DEFAULT_RECONNECT_MAX_DELAY_MS / 2,
    );
  });
});

describe('reconnectDelayMs (the policy as data)', () => {
  const half = () => 0.5;

  it('false never reconnects', () => {
    assert.equal(reconnectDelayMs(false, 1, dropped, half), false);
  });

  it('a number allows that many attempts in a row with the default backoff', () => {
    assert.equal(reconnectDelayMs(2, 1, dropped, half), backoffDelayMs(1, half));
    assert.equal(reconnectDelayMs(2, 2, dropped, half), backoffDelayMs(2, half));
    assert.equal(reconnectDelayMs(2, 3, dropped, half), false);
    assert.equal(reconnectDelayMs(0, 1, dropped, half), false);
  });

  it('left out, it retries for ever', () => {
    assert.equal(reconnectDelayMs(undefined, 1_000_000, dropped, half), backoffDelayMs(40, half));
  });

  it('a function gets the attempt and the cause and decides the delay', () => {
    const seen: [number, GregorError][] = [];
    const policy = (attempt: number, cause: GregorError) => {
      seen.push([attempt, cause]);
      return attempt < 3 ? attempt * 100 : false;
    };
    assert.equal(reconnectDelayMs(policy, 1, dropped), 100);
    assert.equal(reconnectDelayMs(policy, 3, dropped), false);
    assert.deepEqual(seen, [
      [1, dropped],
      [3, dropped],
    ]);
  });

  it('rejects a function that answers something other than a delay or false', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => reconnectDelayMs(() => bad, 1, dropped), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
      });
    }
  });

  it('the built-in policies give up on a refused token; a function decides for itself', () => {
    assert.equal(reconnectDelayMs(undefined, 1, refused), false);
    assert.equal(reconnectDelayMs(5, 1, refused), false);
    assert.equal(
      reconnectDelayMs(() => 7, 1, refused),
      7,
    );
  });
});

describe('isAuthRefusal', () => {
  it('knows our auth codes and a Go server’s Status 202 BAD_SESSION', () => {
    assert.equal(isAuthRefusal(refused), true);
    assert.equal(isAuthRefusal(gregorError('GREGOR_ERR_AUTH_BAD_SESSION')), true);
    const goBadSession = gregorError('GREGOR_ERR_REMOTE', 'unauthed session', {
      cause: { code: 202, name: 'BAD_SESSION', desc: 'unauthed session', fields: null },
    });
    assert.equal(isAuthRefusal(goBadSession), true);
  });

  it('does not count an unreachable authenticator or a dropped connection', () => {
    assert.equal(isAuthRefusal(gregorError('GREGOR_ERR_AUTH_UNAVAILABLE')), false);
    assert.equal(isAuthRefusal(dropped), false);
    assert.equal(
      isAuthRefusal(gregorError('GREGOR_ERR_REMOTE', 'x', { cause: { code: 218 } })),
      false,
    );
  });
});

describe('Reconnector', () => {
  it('counts failures, and starts again at 1 after a success', () => {
    const r = new Reconnector((attempt) => attempt, fakeTime(FakeTimers.createClock()).timers);
    assert.equal(r.next(dropped), 1);
    assert.equal(r.next(dropped), 2);
    assert.equal(r.attempt, 2);
    r.reset();
    assert.equal(r.next(dropped), 1);
  });

  it('waits out the delay on its timers', async () => {
    const fake = FakeTimers.createClock();
    const r = new Reconnector(undefined, fakeTime(fake).timers);
    let isDone = false;
    const waiting = r.wait(1000).then(() => {
      isDone = true;
    });
    await fake.tickAsync(999);
    assert.equal(isDone, false);
    await fake.tickAsync(1);
    await waiting;
    assert.equal(isDone, true);
  });

  it('stop() ends a wait at once and refuses further attempts', async () => {
    const fake = FakeTimers.createClock();
    const r = new Reconnector(undefined, fakeTime(fake).timers);
    const waiting = r.wait(60_000);
    r.stop();
    await waiting;
    assert.equal(fake.countTimers(), 0, 'its timer is cleared');
    assert.equal(r.isStopped, true);
    assert.equal(r.next(dropped), false);
    await r.wait(60_000);
  });
});
