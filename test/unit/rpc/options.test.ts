import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_WRITE_BUFFER_BYTES,
  resolveRpcLimits,
} from '../../../packages/client/src/rpc/index.js';

describe('resolveRpcLimits', () => {
  it('fills every default and freezes the result', () => {
    const limits = resolveRpcLimits();
    assert.equal(limits.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
    assert.equal(limits.maxWriteBufferBytes, DEFAULT_MAX_WRITE_BUFFER_BYTES);
    assert.ok(Object.isFrozen(limits));
  });

  it('returns an already resolved object as is and leaves the input untouched', () => {
    const input = { maxPendingCalls: 5 };
    const limits = resolveRpcLimits(input);
    assert.equal(resolveRpcLimits(limits), limits);
    assert.deepEqual(input, { maxPendingCalls: 5 });
  });

  for (const [input, named] of [
    [{ maxFrameBytes: 0 }, 'maxFrameBytes'],
    [{ maxPendingCalls: 1.5 }, 'maxPendingCalls'],
    [{ callTimeoutMs: -1 }, 'callTimeoutMs'],
    [{ maxConcurrentCalls: Number.NaN }, 'maxConcurrentCalls'],
    [{ maxFrmeBytes: 10 }, 'maxFrmeBytes'],
  ] as const) {
    it(`rejects ${JSON.stringify(input)} naming ${named}`, () => {
      assert.throws(
        () => resolveRpcLimits(input as never),
        (err: Error & { code: string }) => {
          return err.code === 'GREGOR_ERR_CONFIG_INVALID' && err.message.includes(named);
        },
      );
    });
  }

  it('rejects a write buffer smaller than one largest frame, naming both options', () => {
    assert.throws(
      () => resolveRpcLimits({ maxFrameBytes: 1000, maxWriteBufferBytes: 1008 }),
      (err: Error & { code: string }) =>
        err.code === 'GREGOR_ERR_CONFIG_INVALID' &&
        err.message.includes('maxWriteBufferBytes') &&
        err.message.includes('maxFrameBytes'),
    );
    assert.equal(
      resolveRpcLimits({ maxFrameBytes: 1000, maxWriteBufferBytes: 1009 }).maxWriteBufferBytes,
      1009,
    );
  });
});
