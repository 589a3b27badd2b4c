import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DEFAULT_RECONNECT_JITTER_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  defaultReconnectDelayMs,
} from '../../../packages/server/src/pubsub/index.js';
import { resolveRedisBusOptions } from '../../../packages/server/src/pubsub/redis-bus-options.js';

describe('resolveRedisBusOptions', () => {
  it('fills in every default and freezes the result without touching the input', () => {
    const input = { url: 'redis://127.0.0.1:6379' };
    const options = resolveRedisBusOptions(input);
    assert.equal(options.channelPrefix, DEFAULT_CHANNEL_PREFIX);
    assert.equal(options.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS);
    assert.equal(options.maxPendingPublishes, DEFAULT_MAX_PENDING_PUBLISHES);
    assert.equal(typeof options.reconnect, 'function');
    assert.ok(Object.isFrozen(options));
    assert.deepEqual(input, { url: 'redis://127.0.0.1:6379' });
  });

  it('accepts every form of reconnect policy', () => {
    const policy = (attempt: number) => attempt;
    for (const reconnect of [false, 0, 250, policy] as const) {
      assert.equal(resolveRedisBusOptions({ url: 'redis://h', reconnect }).reconnect, reconnect);
    }
  });

  it('rejects a bad value with GREGOR_ERR_CONFIG_INVALID naming the option', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'url'],
      [{ url: 'http://h' }, 'url'],
      [{ url: 'redis://h', publishTimeoutMs: 0 }, 'publishTimeoutMs'],
      [{ url: 'redis://h', maxPendingPublishes: 1.5 }, 'maxPendingPublishes'],
      [{ url: 'redis://h', connectTimeoutMs: -1 }, 'connectTimeoutMs'],
      [{ url: 'redis://h', reconnect: true }, 'reconnect'],
      [{ url: 'redis://h', logger: {} }, 'logger'],
      [{ url: 'redis://h', channelPrefx: 'typo' }, 'options'],
    ];
    for (const [input, name] of cases) {
      assert.throws(
        () => resolveRedisBusOptions(input),
        (err: Error & { code?: string }) =>
          err.code === 'GREGOR_ERR_CONFIG_INVALID' && err.message.includes(`${name}:`),
        JSON.stringify(input),
      );
    }
  });
});

describe('defaultReconnectDelayMs', () => {
  it('doubles from 50 ms, caps at the maximum, and adds bounded jitter', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = defaultReconnectDelayMs(attempt);
      const base = Math.min(50 * 2 ** attempt, DEFAULT_RECONNECT_MAX_DELAY_MS);
      assert.ok(delay >= base && delay < base + DEFAULT_RECONNECT_JITTER_MS, `attempt ${attempt}`);
    }
  });
});
