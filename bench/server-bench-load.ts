/**
 * The two load shapes of the server benchmarks, over any transport (framed msgpack-rpc, Socket.IO):
 * - closed loop: every user keeps `window` consumes in flight for `durationMs`; gives the peak
 *   consumes/s and deliveries/s, and the ack latency (send → answer) at that peak;
 * - open loop: consumes are sent at a fixed total rate for `durationMs`, round-robin over the
 *   users, without waiting for answers; gives the consume → delivery latency at that rate, free
 *   of the queueing a closed loop builds up by itself.
 */
import { METHODS, type Message, type UID } from '../packages/client/src/protocol/index.js';
import type { BenchUser, Recorder } from './server-bench-peers.js';

/** Builds the message of sequence number `seq` for `uid`. */
export type MessageMaker = (uid: UID, seq: number) => Message;

/**
 * One user's sending side: sends consume number `seq` (which its deliveries carry back to the
 * Recorder) and resolves once the server answered it; rejects on an error answer.
 */
export type Sender = (seq: number) => Promise<unknown>;

const CONSUME = METHODS.consumeMessage;

/** The senders of rpc users: `consumeMessage` of `make(uid, seq)` on each user's `a`. */
export function rpcSenders(users: readonly BenchUser[], make: MessageMaker): Sender[] {
  return users.map(
    (user) => (seq) => user.a.call(CONSUME.name, CONSUME.encodeArg({ m: make(user.uid, seq) })),
  );
}

let nextSeq = 0;

/** A sequence number no earlier send of this process used (message ids built from it are unique). */
export function takeSeq(): number {
  return nextSeq++;
}

function send(sender: Sender, recorder: Recorder): Promise<unknown> {
  const seq = takeSeq();
  if (seq >= recorder.sentAtMs.length) throw new Error('bench ran out of sequence numbers');
  recorder.sentAtMs[seq] = performance.now();
  return sender(seq);
}

/** Peak figures of a closed-loop run. */
export interface PeakResult {
  consumesPerSec: number;
  deliveriesPerSec: number;
  /** Send → answer of the consumes completed in the run. */
  ackP50Ms: number;
  ackP99Ms: number;
  errors: number;
}

/** Keep `window` consumes per sender in flight for `durationMs`. */
export async function closedLoop(
  senders: readonly Sender[],
  recorder: Recorder,
  window: number,
  durationMs: number,
): Promise<PeakResult> {
  let completed = 0;
  let errors = 0;
  let isRunning = true;
  const acksMs: number[] = [];
  const deliveriesBefore = recorder.deliveries;
  const start = performance.now();
  const loop = async (sender: Sender): Promise<void> => {
    while (isRunning) {
      const sentAt = performance.now();
      try {
        await send(sender, recorder);
        completed++;
        acksMs.push(performance.now() - sentAt);
      } catch {
        errors++;
      }
    }
  };
  const loops = senders.flatMap((sender) => Array.from({ length: window }, () => loop(sender)));
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  isRunning = false;
  const elapsedSec = (performance.now() - start) / 1000;
  // Both counted at the same instant: the consumes still in flight complete after it.
  const consumes = completed;
  const deliveries = recorder.deliveries - deliveriesBefore;
  await Promise.all(loops);
  acksMs.sort((x, y) => x - y);
  return {
    consumesPerSec: consumes / elapsedSec,
    deliveriesPerSec: deliveries / elapsedSec,
    ackP50Ms: percentile(acksMs, 50),
    ackP99Ms: percentile(acksMs, 99),
    errors,
  };
}

/** Latency figures of an open-loop run, in ms. */
export interface LatencyResult {
  ratePerSec: number;
  /** Consumes answered per second over the run, drain included: below `ratePerSec` once saturated. */
  achievedPerSec: number;
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
  senders: readonly Sender[],
  recorder: Recorder,
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
      const sender = senders[turn++ % senders.length]!;
      inFlight.push(send(sender, recorder).catch(() => errors++));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const achievedPerSec = (sent * 1000) / (performance.now() - start);
  // The last deliveries may still be on their way to `b`.
  await new Promise((resolve) => setTimeout(resolve, 50));
  recorder.isSampling = false;
  const sorted = recorder.latenciesMs.sort((x, y) => x - y);
  return {
    ratePerSec,
    achievedPerSec,
    samples: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
  };
}
