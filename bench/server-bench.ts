/**
 * gregord benchmark. Run (about 30 s, loopback only):
 *   node --expose-gc --import tsx bench/server-bench.ts
 *
 * Prints, for gregord (SQLite durable, signed tokens, in-process bus) beside a bare framed-msgpack
 * forwarder built from src/rpc only (no auth, storage, mailbox or bus) measured in the same run:
 * 1. peak consumes/s and deliveries/s, N users × 2 connections, in-band and out-of-band messages;
 * 2. consume → broadcast latency p50/p99 (send on `a`, receipt on `b`) at half of each peak rate;
 * 3. heap per idle authenticated connection with 10k connections (goal < 10 KiB).
 * Figures depend on the machine; compare the ratios, not the absolute numbers.
 */

import { measureIdleHeap } from './server-bench-heap.js';
import { closedLoop, type MessageMaker, openLoop, rpcSenders } from './server-bench-load.js';
import {
  type BenchTarget,
  connectUsers,
  disconnect,
  inBand,
  outOfBand,
  Recorder,
  startBaseline,
  startGregord,
} from './server-bench-peers.js';

const USERS = Number(process.env.BENCH_USERS ?? 50);
const WINDOW = 4;
const PHASE_MS = 1500;
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000);

interface Row {
  target: string;
  kind: string;
  consumesPerSec: number;
  deliveriesPerSec: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

async function measure(target: BenchTarget, kind: string, make: MessageMaker): Promise<Row> {
  const recorder = new Recorder();
  const users = await connectUsers(target, recorder, USERS);
  const senders = rpcSenders(users, make);
  try {
    await closedLoop(senders, recorder, WINDOW, 300); // warm-up
    const peak = await closedLoop(senders, recorder, WINDOW, PHASE_MS);
    const rate = Math.max(1, Math.round(peak.consumesPerSec / 2));
    const latency = await openLoop(senders, recorder, rate, PHASE_MS);
    return {
      target: target.name,
      kind,
      consumesPerSec: Math.round(peak.consumesPerSec),
      deliveriesPerSec: Math.round(peak.deliveriesPerSec),
      rate,
      p50Ms: Number(latency.p50Ms.toFixed(2)),
      p99Ms: Number(latency.p99Ms.toFixed(2)),
      errors: peak.errors + latency.errors,
    };
  } finally {
    await disconnect(users);
  }
}

const rows: Row[] = [];
for (const start of [startGregord, startBaseline]) {
  const target = await start();
  try {
    rows.push(await measure(target, 'in-band', inBand));
    rows.push(await measure(target, 'out-of-band', outOfBand));
  } finally {
    await target.close();
  }
}
console.log(`\n${USERS} users × 2 connections, loopback, window ${WINDOW} per user`);
console.table(rows);
for (const kind of ['in-band', 'out-of-band']) {
  const g = rows.find((r) => r.target === 'gregord' && r.kind === kind)!;
  const b = rows.find((r) => r.target === 'baseline' && r.kind === kind)!;
  console.log(
    `${kind}: gregord/baseline consumes ${(g.consumesPerSec / b.consumesPerSec).toFixed(2)}×, ` +
      `p50 at half peak ${g.p50Ms} ms vs ${b.p50Ms} ms`,
  );
}

const heap = [
  await measureIdleHeap(IDLE_CONNECTIONS, IDLE_CONNECTIONS),
  await measureIdleHeap(IDLE_CONNECTIONS, IDLE_CONNECTIONS / 2),
];
console.log('\nidle authenticated connections (server process only)');
console.table(
  heap.map((h) => ({
    connections: h.connections,
    users: h.users,
    'heap KiB/conn': Number((h.heapBytesPerConnection / 1024).toFixed(2)),
    'external KiB/conn': Number((h.externalBytesPerConnection / 1024).toFixed(2)),
    'goal < 10 KiB': h.heapBytesPerConnection < 10 * 1024 ? 'met' : 'missed',
  })),
);
