/**
 * The two load shapes of the server benchmark.
 * - closed loop: every user keeps `window` consumes in flight for `durationMs`; gives the peak
 *   consumes/s and deliveries/s;
 * - open loop: consumes are sent at a fixed total rate for `durationMs`, round-robin over the
 *   users, without waiting; gives the consume → broadcast latency at that rate.
 */
import { METHODS, type Message, type UID } from '../packages/client/src/protocol/index.js';
import type { BenchUser, Recorder } from './server-bench-peers.js';

/** Builds the message of sequence number `seq` for `uid`. */
export type MessageMaker = (uid: UID, seq: number) => Message;

const CONSUME = METHODS.consumeMessage;
let nextSeq = 0;

function send(user: BenchUser, recorder: Recorder, make: MessageMaker): Promise<unknown> {
  const seq = nextSeq++;
  if (seq >= recorder.sentAtMs.length) throw new Error('bench ran out of sequence numbers');
  recorder.sentAtMs[seq] = performance.now();
  return user.a.call(CONSUME.name, CONSUME.encodeArg({ m: make(user.uid, seq) }));
}

/** Peak figures of a closed-loop run. */
export interface PeakResult {
  consumesPerSec: number;
  deliveriesPerSec: number;
  errors: number;
}

/** Keep `window` consumes per user in flight for `durationMs`. */
export async function closedLoop(
  users: readonly BenchUser[],
  recorder: Recorder,
  make: MessageMaker,
  window: number,
  durationMs: number,
): Promise<PeakResult> {
  let completed = 0;
  let errors = 0;
  let isRunning = true;
  const deliveriesBefore = recorder.deliveries;
  const start = performance.now();
  const loop = async (user: BenchUser): Promise<void> => {
    while (isRunning) {
      try {
        await send(user, recorder, make);
        completed++;
      } catch {
        errors++;
      }
    }
  };
  const loops = users.flatMap((user) => Array.from({ length: window }, () => loop(user)));
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  isRunning = false;
  const elapsedSec = (performance.now() - start) / 1000;
  const deliveries = recorder.deliveries - deliveriesBefore;
  await Promise.all(loops);
  return {
    consumesPerSec: completed / elapsedSec,
    deliveriesPerSec: deliveries / elapsedSec,
    errors,
  };
}

/** Latency figures of an open-loop run, in ms. */
export interface LatencyResult {
  ratePerSec: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The `p`th percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Send at `ratePerSec` for `durationMs`; sample latencies after the first fifth (warm-up). */
export async function openLoop(
  users: readonly BenchUser[],
  recorder: Recorder,
  make: MessageMaker,
  ratePerSec: number,
  durationMs: number,
): Promise<LatencyResult> {
  let errors = 0;
  let sent = 0;
  let turn = 0;
  const inFlight: Promise<unknown>[] = [];
  recorder.latenciesMs = [];
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const elapsedMs = performance.now() - start;
    recorder.isSampling = elapsedMs > durationMs / 5;
    const due = Math.floor((elapsedMs / 1000) * ratePerSec);
    for (; sent < due; sent++) {
      const user = users[turn++ % users.length]!;
      inFlight.push(send(user, recorder, make).catch(() => errors++));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  // The last broadcasts may still be on their way to `b`.
  await new Promise((resolve) => setTimeout(resolve, 50));
  recorder.isSampling = false;
  const sorted = recorder.latenciesMs.sort((x, y) => x - y);
  return {
    ratePerSec,
    samples: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
  };
}
