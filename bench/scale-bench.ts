/**
 * Scale-out benchmark. Run (about 40 s, loopback only):
 *   node --import tsx bench/scale-bench.ts
 *
 * Starts a private redis-server on a free port, a scratch PostgreSQL database (dropped at the
 * end) and three `gregord` child processes on them, then measures peak consumes/s and
 * deliveries/s (closed loop, every user keeps WINDOW consumes in flight) for in-band (stored in
 * PostgreSQL) and out-of-band messages, in three layouts measured in alternating rounds:
 * - `1 process, in-process bus`: one gregord without Redis, both connections of a user on it;
 * - `1 process, Redis`: one gregord publishing every message to Redis (nobody else subscribed);
 * - `2 processes, Redis`: users spread over two gregords, each user's sender on one and its
 *   second connection on the other, so every message reaches one device through Redis.
 * Each user has two connections; every consume is delivered to both. The figures are medians
 * over the rounds, with the ratio to `1 process, Redis`, and the CPU each gregord and this load
 * generator used (% of one core). Figures depend on the machine; compare the ratios.
 * Environment: BENCH_USERS (40), BENCH_PHASE_MS (1500), BENCH_ROUNDS (3). An unrecorded pass
 * warms every process first.
 */

import { readFileSync } from 'node:fs';
import { METHODS, type UID } from '../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../packages/client/src/rpc/index.js';
import { GregordProcess, stopAll } from '../test/integration/helpers/gregord-process.js';
import { createScratchDatabase } from '../test/integration/helpers/scale-fixtures.js';
import { PrivateRedisServer } from '../test/unit/pubsub/private-redis-server.js';
import { cpuSecondsOf } from './process-cpu.js';
import { closedLoop, type MessageMaker, rpcSenders } from './server-bench-load.js';
import {
  type BenchUser,
  disconnect,
  freshUID,
  inBand,
  outOfBand,
  Recorder,
} from './server-bench-peers.js';

const USERS = Number(process.env.BENCH_USERS ?? 40);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WINDOW = 4;
const WARMUP_MS = 300;

interface Layout {
  readonly name: string;
  /** The processes the users are spread over; a user's second connection is on the next one. */
  readonly on: readonly GregordProcess[];
}

interface Sample {
  layout: string;
  kind: string;
  consumesPerSec: number;
  deliveriesPerSec: number;
  gregordCpuPct: number;
  clientCpuPct: number;
  errors: number;
}

async function login(port: number, recorder: Recorder, uid: UID): Promise<RpcSession> {
  const session = await connectTcp({ port, session: { handlers: recorder.handlers } });
  // --mock-auth: the token is the uid in hex.
  await session.call(METHODS.authenticateSessionToken.name, {
    session: Buffer.from(uid).toString('hex'),
  });
  return session;
}

async function connectUsers(layout: Layout, recorder: Recorder): Promise<BenchUser[]> {
  const { on } = layout;
  return Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const uid = freshUID();
      const [a, b] = await Promise.all([
        login(on[i % on.length]!.tcpPort, recorder, uid),
        login(on[(i + 1) % on.length]!.tcpPort, recorder, uid),
      ]);
      return { uid, a, b };
    }),
  );
}

async function measure(
  layout: Layout,
  kind: string,
  make: MessageMaker,
  phaseMs = PHASE_MS,
): Promise<Sample> {
  const recorder = new Recorder();
  const users = await connectUsers(layout, recorder);
  const senders = rpcSenders(users, make);
  try {
    await closedLoop(senders, recorder, WINDOW, WARMUP_MS);
    const pids = layout.on.map((p) => p.child.pid!);
    const cpuBefore = pids.map(cpuSecondsOf);
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    const peak = await closedLoop(senders, recorder, WINDOW, phaseMs);
    const elapsedSec = (performance.now() - start) / 1000;
    const gregordSec = pids.reduce((sum, pid, i) => sum + cpuSecondsOf(pid) - cpuBefore[i]!, 0);
    const client = process.cpuUsage(clientBefore);
    return {
      layout: layout.name,
      kind,
      consumesPerSec: Math.round(peak.consumesPerSec),
      deliveriesPerSec: Math.round(peak.deliveriesPerSec),
      gregordCpuPct: Math.round((100 * gregordSec) / elapsedSec),
      clientCpuPct: Math.round((client.user + client.system) / 1e4 / elapsedSec),
      errors: peak.errors,
    };
  } finally {
    await disconnect(users);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const redis = await PrivateRedisServer.start();
const db = await createScratchDatabase('postgres');
const processes: GregordProcess[] = [];
try {
  const quiet = { storage: db.url, http: false } as const;
  const [alone, a, b] = await Promise.all([
    GregordProcess.start({ ...quiet, name: 'no-redis' }),
    GregordProcess.start({ ...quiet, name: 'redis-a', redisUrl: redis.url }),
    GregordProcess.start({ ...quiet, name: 'redis-b', redisUrl: redis.url }),
  ]);
  processes.push(alone, a, b);
  const layouts: Layout[] = [
    { name: '1 process, in-process bus', on: [alone] },
    { name: '1 process, Redis', on: [a] },
    { name: '2 processes, Redis', on: [a, b] },
  ];
  const kinds: [string, MessageMaker][] = [
    ['in-band (PostgreSQL)', inBand],
    ['out-of-band', outOfBand],
  ];
  // One unrecorded pass first: JIT, pools and Redis subscriptions warm in every process.
  for (const [kind, make] of kinds) {
    for (const layout of layouts) await measure(layout, kind, make, WARMUP_MS);
  }
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, make] of kinds) {
      for (const layout of layouts) samples.push(await measure(layout, kind, make));
    }
  }
  const rows = kinds.flatMap(([kind]) =>
    layouts.map((layout) => {
      const mine = samples.filter((s) => s.kind === kind && s.layout === layout.name);
      const pick = (f: (s: Sample) => number) => median(mine.map(f));
      return {
        layout: layout.name,
        kind,
        consumesPerSec: pick((s) => s.consumesPerSec),
        deliveriesPerSec: pick((s) => s.deliveriesPerSec),
        gregordCpuPct: pick((s) => s.gregordCpuPct),
        clientCpuPct: pick((s) => s.clientCpuPct),
        errors: mine.reduce((sum, s) => sum + s.errors, 0),
      };
    }),
  );
  console.log(
    `\n${USERS} users × 2 connections, window ${WINDOW} per user, ${PHASE_MS} ms phases, ` +
      `median of ${ROUNDS} alternating rounds; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  console.table(rows);
  for (const [kind] of kinds) {
    const of = (name: string) => rows.find((r) => r.kind === kind && r.layout === name)!;
    const one = of('1 process, Redis');
    for (const name of ['1 process, in-process bus', '2 processes, Redis']) {
      const other = of(name);
      console.log(
        `${kind}: ${name} / 1 process, Redis = ` +
          `${(other.consumesPerSec / one.consumesPerSec).toFixed(2)}× consumes/s, ` +
          `${(other.deliveriesPerSec / one.deliveriesPerSec).toFixed(2)}× deliveries/s`,
      );
    }
  }
  const perRound = samples.map((s) => `${s.kind} | ${s.layout}: ${s.consumesPerSec}`);
  console.log(`\nconsumes/s per round, in run order:\n  ${perRound.join('\n  ')}`);
} finally {
  await stopAll(processes);
  await redis.stop();
  await db.drop();
}
