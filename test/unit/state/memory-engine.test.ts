import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MEMORY_REMINDER_LOCK_MS,
  MemoryEngine,
  systemClock,
} from '../../../packages/client/src/state/index.js';

describe('MemoryEngine', () => {
  it('is ephemeral, uses the system clock and a 1-minute reminder lock by default', async () => {
    const engine = new MemoryEngine();
    assert.equal(engine.isEphemeral, true);
    assert.equal(engine.clock, systemClock);
    assert.equal(engine.reminderLockDurationMs, DEFAULT_MEMORY_REMINDER_LOCK_MS);
    assert.equal(DEFAULT_MEMORY_REMINDER_LOCK_MS, 60_000);
    await engine.close();
  });

  it('takes a lock duration option and rejects a negative or non-finite one', () => {
    assert.equal(
      new MemoryEngine({ reminderLockDurationMs: 600_000 }).reminderLockDurationMs,
      600_000,
    );
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new MemoryEngine({ reminderLockDurationMs: bad }), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
      });
    }
  });

  it('rejects local-state calls after close', async () => {
    const engine = new MemoryEngine();
    await engine.close();
    assert.throws(() => engine.initState({ items: [] }), { code: 'GREGOR_ERR_CLOSED' });
  });
});
