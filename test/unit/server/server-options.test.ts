import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONSUME_LIMITS } from '../../../packages/client/src/protocol/index.js';
import { MemoryEngine, worstCaseStateBytes } from '../../../packages/client/src/state/internal.js';
import { InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import {
  DEFAULT_BROADCAST_TIMEOUT_MS,
  type GregorServerOptions,
  resolveServerSettings,
} from '../../../packages/server/src/server/internal.js';

const authenticator = {
  authenticate: () => Promise.reject(new Error('unused')),
  onRevoke: () => () => undefined,
  close: async () => undefined,
};

function base(): GregorServerOptions {
  return {
    stateMachine: new MemoryEngine(),
    bus: new InProcessBus(),
    authenticator,
    listen: { tcp: { host: '127.0.0.1', port: 0 } },
  };
}

describe('resolveServerSettings', () => {
  it('fills every default and freezes the result', () => {
    const s = resolveServerSettings(base());
    assert.equal(s.broadcastTimeoutMs, DEFAULT_BROADCAST_TIMEOUT_MS);
    assert.deepEqual(s.consumeLimits, DEFAULT_CONSUME_LIMITS);
    assert.ok(Object.isFrozen(s));
    assert.ok(Object.isFrozen(s.consumeLimits));
  });

  it('merges partial consume limits over the defaults', () => {
    const s = resolveServerSettings({ ...base(), consumeLimits: { maxBodyBytes: 10 } });
    assert.equal(s.consumeLimits.maxBodyBytes, 10);
    assert.equal(s.consumeLimits.maxRanges, DEFAULT_CONSUME_LIMITS.maxRanges);
  });

  it('names the offending option and never clamps', () => {
    const cases: [Partial<GregorServerOptions>, RegExp][] = [
      [{ authTimeoutMs: 1.5 }, /authTimeoutMs/],
      [{ maxQueuedPerUser: 0 }, /maxQueuedPerUser/],
      [{ listen: { tcp: { host: '127.0.0.1', port: 70000 } } }, /listen\.tcp\.port/],
      [{ listen: { http: { host: '', port: 0 } } }, /listen\.http\.host/],
      [{ version: '' }, /version/],
      [{ bus: {} as never }, /bus/],
      [{ unknownOption: 1 } as never, /unknownOption|Unrecognized/],
    ];
    for (const [patch, message] of cases) {
      assert.throws(() => resolveServerSettings({ ...base(), ...patch }), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message,
      });
    }
  });

  it('keeps the default quota within the default frame, and shrinks it for a small frame', () => {
    const s = resolveServerSettings(base());
    assert.deepEqual(s.userQuota, { maxItems: 10_000, maxBytes: 8 * 1024 * 1024 });
    assert.equal(s.maxResultBytes, 16 * 1024 * 1024);
    const frame = 256 * 1024;
    const small = resolveServerSettings({
      ...base(),
      rpcLimits: { maxFrameBytes: frame, maxWriteBufferBytes: 2 * frame },
    });
    assert.ok(worstCaseStateBytes(small.userQuota, DEFAULT_CONSUME_LIMITS) <= frame);
    assert.ok(small.userQuota.maxItems >= 1 && small.userQuota.maxBytes >= 1);
    // A given part is kept as given; the other one takes what is left of the frame.
    const given = resolveServerSettings({
      ...base(),
      rpcLimits: { maxFrameBytes: frame, maxWriteBufferBytes: 2 * frame },
      maxItemsPerUser: 100,
    });
    assert.equal(given.userQuota.maxItems, 100);
    assert.ok(worstCaseStateBytes(given.userQuota, DEFAULT_CONSUME_LIMITS) <= frame);
  });

  it('refuses a given quota whose full state would not fit in a frame', () => {
    assert.throws(
      () => resolveServerSettings({ ...base(), maxItemsPerUser: 100_000, maxBytesPerUser: 1024 }),
      { code: 'GREGOR_ERR_CONFIG_INVALID', message: /maxItemsPerUser \(100000\)/ },
    );
    assert.throws(() => resolveServerSettings({ ...base(), maxReadsPerUser: 0 }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /maxReadsPerUser/,
    });
  });
});
