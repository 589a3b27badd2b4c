// gregord's log writer on a real pipe (a FIFO in a temporary directory): lines arrive in order;
// once the reader is gone (EPIPE) it stops for good instead of retrying, and flush() never waits
// past that; a queue past its bound drops lines and counts them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogSink } from '../../../packages/server/src/cli/log-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'log-sink-'));
let fifos = 0;

/** A FIFO opened at both ends (non-blocking), as the read and the write file descriptor. */
function openPipe(): { readFd: number; writeFd: number } {
  const path = join(dir, `fifo-${fifos++}`);
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { readFd, writeFd };
}

describe('LogSink', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every line, in order, and flush resolves once they are written', async () => {
    const { readFd, writeFd } = openPipe();
    const sink = new LogSink({ fd: writeFd });
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}\n`);
    for (const line of lines) sink.write(line);
    await sink.flush(5000);
    const buffer = Buffer.alloc(64 * 1024);
    const read = readSync(readFd, buffer);
    assert.equal(buffer.subarray(0, read).toString(), lines.join(''));
    assert.equal(sink.isBroken, false);
    closeSync(readFd);
    closeSync(writeFd);
  });

  it('stops for good once the reader is gone (EPIPE), and flush does not wait', async () => {
    const { readFd, writeFd } = openPipe();
    closeSync(readFd);
    const sink = new LogSink({ fd: writeFd });
    sink.write('nobody reads this\n');
    await sink.flush(60_000);
    assert.equal(sink.isBroken, true);
    sink.write('dropped at once\n');
    await sink.flush(60_000);
    closeSync(writeFd);
  });

  it('drops lines past its queue bound and counts them', () => {
    const { readFd, writeFd } = openPipe();
    const sink = new LogSink({ fd: writeFd, maxQueuedBytes: 10 });
    sink.write('12345678\n');
    sink.write('past the bound\n');
    assert.equal(sink.droppedLines, 1);
    closeSync(readFd);
  });
});
