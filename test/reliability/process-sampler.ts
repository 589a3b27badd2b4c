/**
 * What a server process costs the machine, read from /proc (Linux): resident memory, its kernel
 * high-water mark, and open file descriptors, sampled on an interval; and the least-squares slope
 * of a series, so "flat" is a number that can be reported and bounded.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM), or undefined once the process is gone. */
function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Resident memory now, in KiB. */
export const rssKiB = (pid: number): number | undefined => statusKiB(pid, 'VmRSS');
/** The kernel's peak resident memory of the process so far, in KiB. */
export const peakRssKiB = (pid: number): number | undefined => statusKiB(pid, 'VmHWM');

/** Open file descriptors of the process now (sockets, database files, pipes). */
export function openFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** One sample: seconds since sampling began, RSS in KiB, open fds. */
export interface Sample {
  atSec: number;
  rssKiB: number;
  fds: number;
}

/** Samples one process every `intervalMs` until stopped. */
export class ProcessSampler {
  readonly pid: number;
  readonly samples: Sample[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #startMs = performance.now();

  constructor(pid: number, intervalMs: number) {
    this.pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** Take one sample now (skipped when the process is gone). */
  sample(): void {
    const rss = rssKiB(this.pid);
    const fds = openFds(this.pid);
    if (rss === undefined || fds === undefined) return;
    this.samples.push({ atSec: (performance.now() - this.#startMs) / 1000, rssKiB: rss, fds });
  }

  /** The largest sampled RSS, in KiB. */
  get maxRssKiB(): number {
    return Math.max(0, ...this.samples.map((s) => s.rssKiB));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
