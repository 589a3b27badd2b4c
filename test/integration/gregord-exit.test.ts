// Every way a gregord process is told to stop ends in a bounded time, even when whoever read its
// logs is gone: SIGTERM after the stdout pipe was closed, and a --child-mode gregord whose parent
// was SIGKILLed (its stdin pipe closing, or only its parent process id changing). Each bound is
// generous (a loaded 2-core box); a gregord that hangs, as it did when its log writer retried
// EPIPE for ever, exceeds it by far.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, it } from 'node:test';
import { CHILD_NODE_OPTIONS } from '../helpers/child-env.js';
import { allProcessesEnd, GregordProcess } from './helpers/gregord-process.js';

const TSX = import.meta.resolve('tsx');
const PARENT = new URL('./helpers/child-mode-parent.ts', import.meta.url).pathname;
/** How long a stop may take here; a clean one takes well under a second. */
const EXIT_BOUND_MS = 15_000;
const START_BOUND_MS = 30_000;

/** The first JSON log line matching `msg` on `child`'s stdout. */
function logLine(child: ChildProcess, msg: RegExp): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no log ${msg}`)), START_BOUND_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (msg.test(String(parsed.msg))) {
        clearTimeout(timer);
        resolve(parsed);
      }
    });
  });
}

describe('gregord stops in bounded time', () => {
  const pidsToKill: number[] = [];
  afterEach(() => {
    for (const pid of pidsToKill.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the test passed.
      }
    }
  });

  it('exits 0 on SIGTERM after its stdout reader has gone (EPIPE ends logging, not the exit)', async () => {
    const gregord = await GregordProcess.start({ storage: 'memory:' });
    pidsToKill.push(gregord.child.pid!);
    gregord.child.stdout!.destroy();
    gregord.child.kill('SIGTERM');
    assert.ok(await allProcessesEnd([gregord.child.pid!], EXIT_BOUND_MS), 'gregord still runs');
    assert.equal((await gregord.exited).code, 0, gregord.stderr);
  });

  /** A parent that starts a --child-mode gregord; resolves with both pids once it listens. */
  async function startUnderParent(
    stdin: 'pipe' | 'inherit',
  ): Promise<{ parent: ChildProcess; gregordPid: number }> {
    const parent = spawn(
      process.execPath,
      [
        '--import',
        TSX,
        PARENT,
        '--storage',
        'memory:',
        '--mock-auth',
        '--bind-address',
        '127.0.0.1:0',
        '--http-address',
        'off',
      ],
      {
        env: { ...process.env, GREGOR_TEST_CHILD_STDIN: stdin, NODE_OPTIONS: CHILD_NODE_OPTIONS },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    pidsToKill.push(parent.pid!);
    const listening = await logLine(parent, /listening for framed msgpack-rpc/);
    const gregordPid = listening.pid as number;
    pidsToKill.push(gregordPid);
    return { parent, gregordPid };
  }

  it('with --child-mode, exits once its parent is SIGKILLed (stdin and stdout pipes to the parent)', async () => {
    const { parent, gregordPid } = await startUnderParent('pipe');
    parent.kill('SIGKILL');
    assert.ok(await allProcessesEnd([gregordPid], EXIT_BOUND_MS), 'gregord outlived its parent');
  });

  it('with --child-mode, exits once its parent is SIGKILLed even while its stdin stays open elsewhere', async () => {
    // gregord's stdin is this test's pipe to the parent: it stays open after the parent dies, so
    // only the parent process id changing tells gregord.
    const { parent, gregordPid } = await startUnderParent('inherit');
    parent.kill('SIGKILL');
    assert.ok(await allProcessesEnd([gregordPid], EXIT_BOUND_MS), 'gregord outlived its parent');
    parent.stdin!.end();
  });
});
