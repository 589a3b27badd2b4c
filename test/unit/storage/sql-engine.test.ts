import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import {
  DEFAULT_REMINDER_LOCK_DURATION_MS,
  dialectOfUrl,
  openSqlEngine,
} from '../../../packages/server/src/storage/index.js';
import { C, idName, M, R, T0, U, X } from './messages.js';

describe('openSqlEngine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-sql-engine-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the dialect of every accepted URL form', () => {
    assert.equal(dialectOfUrl('sqlite::memory:'), 'sqlite');
    assert.equal(dialectOfUrl('sqlite:./data/gregor.db'), 'sqlite');
    assert.equal(dialectOfUrl('postgres://u@h/db'), 'postgres');
    assert.equal(dialectOfUrl('postgresql://u@h/db'), 'postgres');
    assert.equal(dialectOfUrl('mysql://u@h/db'), 'mysql');
    assert.equal(dialectOfUrl('mariadb://u@h/db'), 'mysql');
  });

  it('opens sqlite::memory:, a plain path and sqlite:// paths, creating missing directories', async () => {
    for (const url of [
      'sqlite::memory:',
      `sqlite:${join(dir, 'plain.db')}`,
      `sqlite://${join(dir, 'nested', 'deeper', 'slashes.db')}`,
    ]) {
      const engine = await openSqlEngine(url, { clock: new ManualClock(T0) });
      try {
        await engine.consumeMessage(C(M(1)));
        assert.equal((await engine.state(U(1), null, null)).items.length, 1, url);
      } finally {
        await engine.close();
      }
    }
  });

  it('is persistent, says its dialect, and locks reminders for 10 minutes by default', async () => {
    const engine = await openSqlEngine('sqlite::memory:');
    try {
      assert.equal(engine.isEphemeral, false);
      assert.equal(engine.dialect, 'sqlite');
      assert.equal(engine.reminderLockDurationMs, DEFAULT_REMINDER_LOCK_DURATION_MS);
      assert.equal(DEFAULT_REMINDER_LOCK_DURATION_MS, 600_000);
    } finally {
      await engine.close();
    }
  });
});

describe('SqlEngine group commit order', () => {
  it("applies one user's consumes in call order even inside one transaction", async () => {
    const engine = await openSqlEngine('sqlite::memory:', { clock: new ManualClock(T0) });
    try {
      // Not awaited one by one: all six land in the same batch.
      const answers = await Promise.all([
        engine.consumeMessage(C(M(1), 'c')),
        engine.consumeMessage(C(M(2), 'c')),
        engine.consumeMessage(R(M(3), [{ category: 'c' }])),
        engine.consumeMessage(C(M(4), 'c')),
        engine.consumeMessage(X(M(5), [M(4), M(6)])),
        engine.consumeMessage(C(M(6), 'c')),
      ]);
      assert.deepEqual(
        answers.map((a) => idName(a.ibm!.stateUpdate!.md.msgID)),
        ['M1', 'M2', 'M3', 'M4', 'M5', 'M6'],
      );
      // M3 hides M1 and M2; M5 hides M4 but not M6, created after it.
      const state = await engine.state(U(1), null, null);
      assert.deepEqual(
        state.items.map((i) => idName(i.md!.msgID)),
        ['M6'],
      );
    } finally {
      await engine.close();
    }
  });

  it('clears what was consumed before clear() and keeps what came after', async () => {
    const engine = await openSqlEngine('sqlite::memory:', { clock: new ManualClock(T0) });
    try {
      await Promise.all([
        engine.consumeMessage(C(M(1))),
        engine.clear(),
        engine.consumeMessage(C(M(2))),
      ]);
      const state = await engine.state(U(1), null, null);
      assert.deepEqual(
        state.items.map((i) => idName(i.md!.msgID)),
        ['M2'],
      );
    } finally {
      await engine.close();
    }
  });

  it('finishes queued consumes before close() resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-sql-close-'));
    const url = `sqlite:${join(dir, 'close.db')}`;
    try {
      const engine = await openSqlEngine(url, { clock: new ManualClock(T0) });
      const consumes = Array.from({ length: 50 }, (_, i) => engine.consumeMessage(C(M(300 + i))));
      await engine.close();
      await Promise.all(consumes);
      const reopened = await openSqlEngine(url);
      assert.equal((await reopened.state(U(1), null, null)).items.length, 50);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
