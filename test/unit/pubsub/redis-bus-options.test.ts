import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGregorError } from '../../../packages/client/src/errors.js';
import { SERVER_LINK_RECONNECT_DELAYS } from '../../../packages/client/src/rpc/index.js';
import {
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  redisReconnectStrategy,
} from '../../../packages/server/src/pubsub/index.js';
import { resolveRedisBusOptions } from '../../../packages/server/src/pubsub/redis-bus-options.js';

describe('resolveRedisBusOptions', () => {
  it('fills in every default and freezes the result without touching the input', () => {
    const input = { url: 'redis://127.0.0.1:6379' };
    const options = resolveRedisBusOptions(input);
    assert.equal(options.channelPrefix, DEFAULT_CHANNEL_PREFIX);
    assert.equal(options.publishTimeoutMs, DEFAULT_PUBLISH_TIMEOUT_MS);
    assert.equal(options.maxPendingPublishes, DEFAULT_MAX_PENDING_PUBLISHES);
    assert.equal(options.reconnect, true);
    assert.ok(Object.isFrozen(options));
    assert.deepEqual(input, { url: 'redis://127.0.0.1:6379' });
  });

  it('takes a cluster as host:port nodes (names, IPv4, bracketed IPv6) and its password', () => {
    const clusterNodes = ['redis-1.internal:7000', '10.0.0.2:7001', '[::1]:7002'];
    const options = resolveRedisBusOptions({ clusterNodes, password: 'pw' });
    assert.deepEqual(options.clusterNodes, clusterNodes);
    assert.equal(options.password, 'pw');
    assert.equal(options.url, undefined);
  });

  it('accepts every form of reconnect policy', () => {
    const policy = (attempt: number) => attempt;
    for (const reconnect of [true, false, 0, 250, { maxAttempts: 3, maxDelayMs: 100 }, policy]) {
      assert.deepEqual(
        resolveRedisBusOptions({ url: 'redis://h', reconnect }).reconnect,
        reconnect,
      );
    }
  });

  it('rejects a bad value with GREGOR_ERR_CONFIG_INVALID naming the option', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'url'],
      [{ url: 'http://h' }, 'url'],
      [{ url: 'redis://h', publishTimeoutMs: 0 }, 'publishTimeoutMs'],
      [{ url: 'redis://h', maxPendingPublishes: 1.5 }, 'maxPendingPublishes'],
      [{ url: 'redis://h', connectTimeoutMs: -1 }, 'connectTimeoutMs'],
      [{ url: 'redis://h', reconnect: -1 }, 'reconnect'],
      [{ url: 'redis://h', reconnect: { baseDelayMs: 0 } }, 'reconnect.baseDelayMs'],
      [{ url: 'redis://h', reconnect: 'forever' }, 'reconnect'],
      [{ url: 'redis://h', logger: {} }, 'logger'],
      [{ url: 'redis://h', channelPrefx: 'typo' }, 'options'],
      [{ url: 'redis://h', clusterNodes: ['h:7000'] }, 'clusterNodes'],
      [{ clusterNodes: [] }, 'clusterNodes'],
      [{ clusterNodes: ['h'] }, 'clusterNodes.0'],
      [{ clusterNodes: ['h:7000', 'h:70000'] }, 'clusterNodes.1'],
      [{ clusterNodes: ['redis://h:7000'] }, 'clusterNodes.0'],
      [{ url: 'redis://h', password: 'pw' }, 'password'],
      [{ clusterNodes: ['h:7000'], tlsCa: '-----BEGIN CERTIFICATE-----' }, 'tlsCa'],
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

describe("redisReconnectStrategy (the policy at node-redis's edge)", () => {
  const cause = new Error('connect ECONNREFUSED');
  const top = () => 1;

  it('a number n: a delay for node-redis retries 0 … n-1, then an Error that stops it', () => {
    const strategy = redisReconnectStrategy(3, top);
    assert.deepEqual(
      [0, 1, 2].map((retries) => strategy(retries, cause)),
      [50, 100, 200],
    );
    const stop = strategy(3, cause);
    assert.ok(stop instanceof Error);
    assert.ok(isGregorError(stop, 'GREGOR_ERR_BUS_FAILED'));
    assert.equal(stop.cause, cause);
    assert.match(stop.message, /gave up after 3 attempt/);
  });

  it('false stops at the first failure; 0 attempts as well', () => {
    assert.ok(redisReconnectStrategy(false)(0, cause) instanceof Error);
    assert.ok(redisReconnectStrategy(0)(0, cause) instanceof Error);
  });

  it('true retries for ever with the server-link backoff, capped', () => {
    const strategy = redisReconnectStrategy(true, top);
    assert.equal(strategy(0, cause), SERVER_LINK_RECONNECT_DELAYS.baseDelayMs);
    assert.equal(strategy(1_000_000, cause), SERVER_LINK_RECONNECT_DELAYS.maxDelayMs);
  });

  it('a function sees attempts from 1, as everywhere else', () => {
    const seen: number[] = [];
    const strategy = redisReconnectStrategy((attempt) => {
      seen.push(attempt);
      return attempt < 2 ? 7 : false;
    });
    assert.equal(strategy(0, cause), 7);
    assert.ok(strategy(1, cause) instanceof Error);
    assert.deepEqual(seen, [1, 2]);
  });
});
