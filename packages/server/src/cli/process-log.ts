/**
 * The log and the exit of a gregord process: pino over a {@link LogSink} on stdout, and one way
 * out that flushes the log for a bounded time and then exits, so no exit path waits on a log
 * reader that is slow or gone.
 */
import { type Level, type Logger, pino } from 'pino';
import { LogSink } from './log-sink.js';

/** How long exiting waits for queued log lines to be written, ms. */
export const EXIT_FLUSH_TIMEOUT_MS = 1000;

/** A process's logger and its way out. */
export interface ProcessLog {
  readonly logger: Logger;
  /** Flush the log (at most EXIT_FLUSH_TIMEOUT_MS), then exit with `code`. */
  exit(code: number): Promise<never>;
}

/** The logger of this process, named `name`, at `level`, on stdout. */
export function openProcessLog(level: Level | 'silent', name: string): ProcessLog {
  const sink = new LogSink();
  const logger = pino({ level, name }, sink);
  return {
    logger,
    exit: async (code) => {
      await sink.flush(EXIT_FLUSH_TIMEOUT_MS);
      process.exit(code);
    },
  };
}
