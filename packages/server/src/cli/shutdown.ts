/**
 * When gregord stops (docs/configuration.md, "Stopping"): on SIGINT or SIGTERM, or, in child mode,
 * when its parent goes away. A second signal during the graceful stop means "now": the caller exits
 * at once.
 *
 * Child mode notices a dead parent three ways, since no single one covers every way of being
 * started: stdin reaching EOF (the parent held the pipe), the IPC channel disconnecting (a parent
 * that forked with one), and the parent process id changing (the parent died and gregord was
 * re-parented, although something else still holds stdin open).
 */
import { readFileSync } from 'node:fs';

/** Why the process is stopping. */
export type ShutdownReason =
  | 'SIGTERM'
  | 'SIGINT'
  | 'stdin-eof'
  | 'ipc-disconnect'
  | 'parent-exited';

/** Room after the drain timeout (--shutdown-timeout) for closing sockets, the bus and the storage. */
export const CLOSE_GRACE_MS = 5000;

/** The hard deadline of a graceful stop, ms: past it the process exits anyway (exit code 5). */
export function stopDeadlineMs(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs + CLOSE_GRACE_MS;
}

/** @default 1 s between two checks of the parent process id in child mode. */
export const DEFAULT_PARENT_POLL_MS = 1000;

/** Options of {@link waitForShutdown}. */
export interface ShutdownOptions {
  /** Also stop when the parent goes away (`--child-mode`). */
  isChildMode: boolean;
  /** Called when a second signal arrives while stopping; the caller exits. */
  onForce(signal: NodeJS.Signals): void;
  /** How often child mode checks the parent process id, ms. @default 1 s */
  parentPollMs?: number;
}

/**
 * The current parent process id. Node's `process.ppid` is read once at startup, so it never
 * shows a re-parenting; /proc does (Linux). Elsewhere, whether the first parent still exists.
 */
function currentParentPid(firstParent: number): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    try {
      process.kill(firstParent, 0);
      return firstParent;
    } catch {
      return -1;
    }
  }
}

/** Resolves with the first reason to stop; later signals call `onForce`. */
export function waitForShutdown(options: ShutdownOptions): Promise<ShutdownReason> {
  return new Promise((resolve) => {
    let isStopping = false;
    let parentTimer: NodeJS.Timeout | undefined;
    const stop = (reason: ShutdownReason): void => {
      if (isStopping) {
        if (reason === 'SIGTERM' || reason === 'SIGINT') options.onForce(reason);
        return;
      }
      isStopping = true;
      clearInterval(parentTimer);
      resolve(reason);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (!options.isChildMode) return;
    // The parent holds our stdin; when it goes away (or closes the pipe) we go too.
    process.stdin.on('end', () => stop('stdin-eof'));
    process.stdin.on('close', () => stop('stdin-eof'));
    process.stdin.on('error', () => stop('stdin-eof'));
    process.stdin.resume();
    if (process.connected) process.once('disconnect', () => stop('ipc-disconnect'));
    const firstParent = process.ppid;
    parentTimer = setInterval(() => {
      if (currentParentPid(firstParent) !== firstParent) stop('parent-exited');
    }, options.parentPollMs ?? DEFAULT_PARENT_POLL_MS);
    parentTimer.unref();
  });
}
