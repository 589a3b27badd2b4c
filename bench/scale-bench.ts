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
import { GregordProcess, stopAll } from '../test/integration/helpers/gregord-process.js';
import { createScratchDatabase } from '../test/integration/helpers/scale-fixtures.js';
import { PrivateRedisServer } from '../test/unit/pubsub/private-redis-server.js';
import { type Layout, ratioLine, runRounds, WINDOW } from './scale-bench-kit.js';
import type { MessageMaker } from './server-bench-load.js';
import { inBand, outOfBand } from './server-bench-peers.js';

const USERS = Number(process.env.BENCH_USERS ?? 40);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

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
  const { samples, rows } = await runRounds(layouts, kinds, ROUNDS, {
    users: USERS,
    phaseMs: PHASE_MS,
  });
  console.log(
    `\n${USERS} users × 2 connections, window ${WINDOW} per user, ${PHASE_MS} ms phases, ` +
      `median of ${ROUNDS} alternating rounds; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  console.table(rows.map(({ redisCpuPct: _r, busiestRedisCpuPct: _b, ...row }) => row));
  for (const [kind] of kinds) {
    const of = (name: string) => rows.find((r) => r.kind === kind && r.layout === name)!;
    for (const name of ['1 process, in-process bus', '2 processes, Redis']) {
      console.log(ratioLine(kind, of(name), of('1 process, Redis')));
    }
  }
  const perRound = samples.map((s) => `${s.kind} | ${s.layout}: ${s.consumesPerSec}`);
  console.log(`\nconsumes/s per round, in run order:\n  ${perRound.join('\n  ')}`);
} finally {
  await stopAll(processes);
  await redis.stop();
  await db.drop();
}
