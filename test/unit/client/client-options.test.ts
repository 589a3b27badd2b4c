import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Connector,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_OUTBOX_INTERVAL_MS,
  DEFAULT_STATUS_BUFFER,
  DEFAULT_SYNC_TIMEOUT_MS,
  type GregorClientOptions,
  resolveClientSettings,
} from '../../../packages/client/src/client/internal.js';
import type { RpcSession } from '../../../packages/client/src/rpc/index.js';
import { systemClock } from '../../../packages/client/src/state/index.js';
import { U1 } from './fixtures.js';

const connect = async (): Promise<RpcSession> => {
  throw new Error('not used');
};
const base: GregorClientOptions = { uid: U1, token: 'tok', connect };

function rejects(opts: unknown, pattern: RegExp): void {
  assert.throws(
    () => resolveClientSettings(opts as GregorClientOptions),
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      assert.equal(e.code, 'GREGOR_ERR_CONFIG_INVALID');
      assert.match(e.message ?? '', pattern);
      return true;
    },
  );
}

describe('resolveClientSettings', () => {
  it('fills in every default and freezes the result', async () => {
    const s = resolveClientSettings(base);
    assert.equal(s.deviceID, null);
    assert.equal(s.clock, systemClock);
    assert.equal(s.storage, undefined);
    assert.equal(s.reconnect, undefined);
    assert.equal(s.outboxIntervalMs, DEFAULT_OUTBOX_INTERVAL_MS);
    assert.equal(s.syncTimeoutMs, DEFAULT_SYNC_TIMEOUT_MS);
    assert.equal(s.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS);
    assert.equal(s.statusBufferSize, DEFAULT_STATUS_BUFFER);
    assert.equal(await s.token(), 'tok');
    assert.ok(Object.isFrozen(s));
  });

  it('names the option that is missing, unknown or out of range', () => {
    rejects({ token: 'tok', connect }, /uid/);
    rejects({ ...base, uid: new Uint8Array(0) }, /uid: must not be empty/);
    rejects({ ...base, token: '' }, /token/);
    rejects({ ...base, connect: 42 }, /connect/);
    rejects({ ...base, outboxIntervalMs: 0 }, /outboxIntervalMs/);
    rejects({ ...base, syncTimeoutMs: 1.5 }, /syncTimeoutMs/);
    rejects({ ...base, reconnect: -1 }, /reconnect/);
    rejects({ ...base, reconnect: 'forever' }, /reconnect/);
    rejects({ ...base, reconnect: { maxAttempts: 1.5 } }, /reconnect/);
    rejects({ ...base, storage: {} }, /storage/);
    rejects({ ...base, reconectPolicy: 3 }, /reconectPolicy/);
  });

  it('never changes the caller’s object', () => {
    const opts = { ...base };
    const snapshot = { ...opts };
    resolveClientSettings(opts);
    assert.deepEqual(opts, snapshot);
  });

  it('asks a token function before each login, and calls a Connector’s connect', async () => {
    let n = 0;
    const signals: AbortSignal[] = [];
    const connector: Connector = {
      connect: async (signal) => {
        signals.push(signal);
        throw new Error('refused');
      },
    };
    const s = resolveClientSettings({ ...base, token: () => `t${++n}`, connect: connector });
    assert.equal(await s.token(), 't1');
    assert.equal(await s.token(), 't2');
    const signal = new AbortController().signal;
    await assert.rejects(s.connect(signal), /refused/);
    assert.deepEqual(signals, [signal]);
  });
});
