import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONSUME_LIMITS } from '../../../src/protocol/index.js';
import { InProcessBus } from '../../../src/pubsub/index.js';
import {
  DEFAULT_BROADCAST_TIMEOUT_MS,
  type GregorServerOptions,
  resolveServerSettings,
} from '../../../src/server/index.js';
import { MemoryEngine } from '../../../src/state/index.js';

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
});
