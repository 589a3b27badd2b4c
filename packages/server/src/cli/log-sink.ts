/**
 * Where the gregord process writes its pino lines: a file descriptor (stdout), written
 * asynchronously, that never keeps the process from exiting.
 *
 * pino's default destination (sonic-boom) registers a synchronous flush for process exit, and that
 * flush retries a write that failed with EPIPE for ever: a gregord whose log reader had gone (its
 * stdout pipe closed, or the parent that read it killed) never finished exiting. Here:
 * - a write error other than EAGAIN means the reader is gone: logging stops, nothing is retried;
 * - EAGAIN (a non-blocking pipe that is full) is retried after a short pause;
 * - lines waiting to be written are bounded in bytes; past the bound they are dropped and counted,
 *   and a line saying how many follows once the queue has room again;
 * - nothing runs at exit: the command flushes with a timeout before it exits (`flush`).
 */
import { write } from 'node:fs';

/** @default 4 MiB of log lines waiting to be written. */
export const DEFAULT_LOG_QUEUE_BYTES = 4 * 1024 * 1024;
/** Pause before writing again to a full non-blocking pipe, ms. */
const FULL_PIPE_RETRY_MS = 20;
/** pino's numeric level for warn. */
const WARN_LEVEL = 40;

/** Options of a LogSink. */
export interface LogSinkOptions {
  /** @default 1 (stdout) */
  fd?: number;
  /** @default DEFAULT_LOG_QUEUE_BYTES */
  maxQueuedBytes?: number;
}

/** A pino destination (it has `write(line)`) over a file descriptor. */
export class LogSink {
  readonly #fd: number;
  readonly #maxQueuedBytes: number;
  #queue: string[] = [];
  #queuedBytes = 0;
  #isWriting = false;
  #isBroken = false;
  #droppedLines = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: LogSinkOptions = {}) {
    this.#fd = options.fd ?? 1;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_LOG_QUEUE_BYTES;
  }

  /** True once a write failed for good (the reader is gone); every later line is dropped. */
  get isBroken(): boolean {
    return this.#isBroken;
  }

  /** Lines dropped because the queue was full, not yet reported. */
  get droppedLines(): number {
    return this.#droppedLines;
  }

  /** Queue one line (pino passes it with its newline). */
  write(line: string): void {
    if (this.#isBroken) return;
    if (this.#queuedBytes + line.length > this.#maxQueuedBytes) {
      this.#droppedLines++;
      return;
    }
    this.#queue.push(line);
    this.#queuedBytes += line.length;
    if (!this.#isWriting) this.#writeQueued();
  }

  /**
   * Resolves once every queued line is written, logging has broken, or `timeoutMs` has passed,
   * whichever comes first. Never rejects.
   */
  flush(timeoutMs: number): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #isIdle(): boolean {
    return this.#isBroken || (!this.#isWriting && this.#queue.length === 0);
  }

  #writeQueued(): void {
    if (this.#droppedLines > 0 && this.#queuedBytes < this.#maxQueuedBytes / 2) {
      const note = { level: WARN_LEVEL, time: Date.now(), pid: process.pid };
      this.#queue.push(
        `${JSON.stringify({ ...note, dropped: this.#droppedLines, msg: 'log lines dropped: the log reader was too slow' })}\n`,
      );
      this.#droppedLines = 0;
    }
    if (this.#queue.length === 0) {
      this.#isWriting = false;
      for (const wake of this.#idleWaiters.splice(0)) wake();
      return;
    }
    this.#isWriting = true;
    const chunk = Buffer.from(this.#queue.join(''), 'utf8');
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#writeChunk(chunk);
  }

  #writeChunk(chunk: Buffer): void {
    write(this.#fd, chunk, (err, written) => {
      if (err === null) {
        if (written < chunk.length) this.#writeChunk(chunk.subarray(written));
        else this.#writeQueued();
        return;
      }
      if (err.code === 'EAGAIN') {
        setTimeout(() => this.#writeChunk(chunk), FULL_PIPE_RETRY_MS).unref();
        return;
      }
      // EPIPE, EBADF, …: whoever read the logs is gone. Stop, so exiting never waits on them.
      this.#isBroken = true;
      this.#isWriting = false;
      this.#queue = [];
      this.#queuedBytes = 0;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    });
  }
}
