// The workers of `gregord --workers 2` do not outlive their primary: SIGKILL the primary and every
// worker ends in a bounded time (Node's cluster module ends a worker whose IPC channel to the
// primary disconnects; this keeps it so, with gregord's own log writer and exit path).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REDIS_URL, serviceSkipReason } from '../helpers/services.js';
import { allProcessesEnd, GregordProcess } from './helpers/gregord-process.js';

const EXIT_BOUND_MS = 15_000;
const SKIP = await serviceSkipReason('redis');

describe('gregord --workers 2 whose primary dies', { skip: SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregord-exit-workers-'));
  const workerPids: number[] = [];
  after(() => {
    for (const pid of workerPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the test passed.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends every worker once the primary is SIGKILLed', async () => {
    const gregord = await GregordProcess.start({
      storage: `sqlite:${join(dir, 'gregor.db')}`,
      redisUrl: REDIS_URL,
      http: false,
      args: ['--workers', '2'],
    });
    const started = await gregord.waitForLog(/^started 2 workers$/);
    workerPids.push(...(started.workers as number[]));
    await gregord.kill();
    assert.ok(await allProcessesEnd(workerPids, EXIT_BOUND_MS), 'a worker outlived its primary');
  });
});
