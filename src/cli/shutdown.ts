/**
 * When gregord stops (gregor-protocol.md §6.8): on SIGINT or SIGTERM, or on stdin EOF in child
 * mode. A second signal during the graceful stop means "now": the process exits at once.
 */

/** Why the process is stopping. */
export type ShutdownReason = 'SIGTERM' | 'SIGINT' | 'stdin-eof';

/** Options of {@link waitForShutdown}. */
export interface ShutdownOptions {
  /** Also stop when stdin ends (`--child-mode`). */
  isChildMode: boolean;
  /** Called when a second signal arrives while stopping; the caller exits. */
  onForce(signal: NodeJS.Signals): void;
}

/** Resolves with the first reason to stop; later signals call `onForce`. */
export function waitForShutdown(options: ShutdownOptions): Promise<ShutdownReason> {
  return new Promise((resolve) => {
    let isStopping = false;
    const stop = (reason: ShutdownReason): void => {
      if (isStopping) {
        if (reason !== 'stdin-eof') options.onForce(reason);
        return;
      }
      isStopping = true;
      resolve(reason);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (options.isChildMode) {
      // The parent holds our stdin; when it goes away (or closes the pipe) we go too.
      process.stdin.on('end', () => stop('stdin-eof'));
      process.stdin.on('close', () => stop('stdin-eof'));
      process.stdin.on('error', () => stop('stdin-eof'));
      process.stdin.resume();
    }
  });
}
