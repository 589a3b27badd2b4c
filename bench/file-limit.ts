/**
 * Open-file limits for benchmarks that hold tens of thousands of sockets. Node raises its soft
 * RLIMIT_NOFILE to the hard limit at start, but cannot raise the hard one; `prlimit` (util-linux)
 * can, for a running process, when run as root. Children forked afterwards inherit the new limit.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** This process's soft limit on open files. */
export function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * Raise this process's open-file limit (soft and hard) to at least `wanted`, if it is lower and
 * prlimit may; resolves with the limit in force afterwards and, if it is still lower, why.
 */
export function raiseOpenFileLimit(wanted: number): { limit: number; note?: string } {
  if (openFileLimit() >= wanted) return { limit: openFileLimit() };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
    return { limit: openFileLimit(), note: `prlimit could not raise the open-file limit: ${why}` };
  }
  return { limit: openFileLimit() };
}
