import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { openSqlEngine } from '../../../packages/server/src/storage/index.js';
import { U } from './messages.js';
import { openStoragePlace, STORAGE_DIALECTS, STORAGE_SKIPS } from './storage-places.js';

const CHILD = new URL('./durability-child.ts', import.meta.url).pathname;
const COUNT = 200;

for (const dialect of STORAGE_DIALECTS) {
  describe(`SqlEngine durability on ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    const placeP = openStoragePlace(dialect, 'gregor_dur');
    after(async () => (await placeP).drop());

    it('keeps every consume that resolved when the process is killed right after', {
      timeout: 30_000,
    }, async () => {
      const place = await placeP;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CHILD, place.url, JSON.stringify(place.options), String(COUNT)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = once(child, 'exit');
      let out = '';
      for await (const chunk of child.stdout) {
        out += String(chunk);
        if (out.includes('committed\n')) break;
      }
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      assert.equal(out, 'committed\n');
      assert.deepEqual([code, signal], [null, 'SIGKILL']);
      const engine = await openSqlEngine(place.url, place.options);
      try {
        assert.equal((await engine.state(U(1), null, null)).items.length, COUNT);
        assert.equal((await engine.inBandMessagesSince(U(1), null, 0)).length, COUNT);
      } finally {
        await engine.close();
      }
    });
  });
}
