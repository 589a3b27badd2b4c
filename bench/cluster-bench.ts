/**
 * Redis Cluster benchmark. Run (about a minute, loopback only):
 *   node --import tsx bench/cluster-bench.ts
 *
 * Starts a private redis-server, a private Redis Cluster of 3 masters and 3 replicas
 * (test/unit/pubsub/private-redis-cluster.ts), and a scratch PostgreSQL database, then compares
 * one Redis with the cluster (sharded pub/sub):
 * 1. one RedisBus subscribing BENCH_CLUSTER_UIDS uids at once (as after a gregord restart): the
 *    time, Redis memory per uid, and how the channels spread over the masters;
 * 2. RedisBus A → B: 50,000 messages of 300 B over 200 uids, 256 in flight, in alternating
 *    rounds: messages/s and this process's CPU per message (both buses);
 * 3. three gregord processes on each, users spread over them with each user's second connection
 *    on the next process, so every message crosses Redis (bench/scale-bench-kit.ts): peak
 *    consumes/s and deliveries/s for in-band (PostgreSQL) and out-of-band messages, the CPU of
 *    gregord, of this load generator and of Redis (all its processes, and the busiest one).
 * Everything runs on this one machine, so the cluster's shards share its cores with everything
 * else: the figures show the cost and the spread, not the throughput of separate machines.
 * Environment: BENCH_CLUSTER_UIDS (20000), BENCH_USERS (60), BENCH_PHASE_MS (1500),
 * BENCH_ROUNDS (3, for parts 2 and 3).
 */
import { readFileSync } from 'node:fs';
import { slotOf } from '../packages/server/src/pubsub/cluster-slot.js';
import { type BusLogger, RedisBus } from '../packages/server/src/pubsub/index.js';
import { GregordProcess, stopAll } from '../test/integration/helpers/gregord-process.js';
import { createScratchDatabase } from '../test/integration/helpers/scale-fixtures.js';
import { PrivateRedisCluster } from '../test/unit/pubsub/private-redis-cluster.js';
import { PrivateRedisServer } from '../test/unit/pubsub/private-redis-server.js';
import {
  Arrivals,
  bareClient,
  median,
  report,
  timeDelivery,
  timed,
  uidOf,
  usedMemory,
} from './pubsub-bench-kit.js';
import { type Layout, ratioLine, runRounds, WINDOW } from './scale-bench-kit.js';
import type { MessageMaker } from './server-bench-load.js';
import { inBand, outOfBand } from './server-bench-peers.js';

const SUBSCRIBED_UIDS = Number(process.env.BENCH_CLUSTER_UIDS ?? 20_000);
const USERS = Number(process.env.BENCH_USERS ?? 60);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INSTANCES = 3;
const MESSAGES = 50_000;
const MESSAGE_UIDS = 200;
const PAYLOAD = new Uint8Array(300).fill(42);
const quiet: BusLogger = { warn: () => undefined, error: () => undefined };

/** Redis `used_memory` summed over `ports` (one server, or the cluster's masters). */
async function memoryOf(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const client = await bareClient(`redis://127.0.0.1:${port}`);
    total += await usedMemory(client);
    client.destroy();
  }
  return total;
}

/** Subscribe SUBSCRIBED_UIDS uids through one bus; print the time and Redis memory per uid. */
async function subscribeBurst(
  name: string,
  options: { url: string } | { clusterNodes: string[] },
  memoryPorts: readonly number[],
): Promise<void> {
  const bus = await RedisBus.connect({ ...options, logger: quiet });
  try {
    const uids = Array.from({ length: SUBSCRIBED_UIDS }, (_, i) => uidOf(i));
    const before = await memoryOf(memoryPorts);
    const ms = await timed(async () => {
      await Promise.all(uids.map((uid) => bus.subscribe(uid, () => undefined)));
    });
    const bytes = (await memoryOf(memoryPorts)) - before;
    report(`${name}: subscribe ${SUBSCRIBED_UIDS.toLocaleString('en-US')} uids`, ms, 'ms');
    report(`${name}: Redis used_memory per live uid`, bytes / SUBSCRIBED_UIDS, 'B');
  } finally {
    await bus.close();
  }
}

type BusTarget = { url: string } | { clusterNodes: string[] };

/** One round of RedisBus A → B; resolves with ms and this process's CPU µs per message. */
async function busRound(target: BusTarget): Promise<{ ms: number; cpuUs: number }> {
  const [a, b] = await Promise.all([
    RedisBus.connect({ ...target, logger: quiet }),
    RedisBus.connect({ ...target, logger: quiet }),
  ]);
  try {
    const uids = Array.from({ length: MESSAGE_UIDS }, (_, i) => uidOf(i));
    const arrivals = new Arrivals(MESSAGES);
    await Promise.all(uids.map((uid) => b.subscribe(uid, arrivals.hit)));
    const cpuBefore = process.cpuUsage();
    const ms = await timeDelivery(arrivals, MESSAGES, 256, (i) =>
      a.publish(uids[i % MESSAGE_UIDS]!, PAYLOAD),
    );
    const cpu = process.cpuUsage(cpuBefore);
    return { ms, cpuUs: (cpu.user + cpu.system) / MESSAGES };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function busThroughput(targets: ReadonlyArray<readonly [string, BusTarget]>): Promise<void> {
  console.log(
    `\n## RedisBus A -> B: ${MESSAGES.toLocaleString('en-US')} messages of ${PAYLOAD.length} B ` +
      `over ${MESSAGE_UIDS} uids, 256 in flight, median of ${ROUNDS} alternating rounds`,
  );
  const results = new Map<string, Array<{ ms: number; cpuUs: number }>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of targets) {
      results.set(name, [...(results.get(name) ?? []), await busRound(target)]);
    }
  }
  for (const [name, rounds] of results) {
    report(`${name}: delivered`, MESSAGES / (median(rounds.map((r) => r.ms)) / 1000), 'msg/s');
    report(`${name}: CPU per message (both buses)`, median(rounds.map((r) => r.cpuUs)), 'µs');
  }
}

const redis = await PrivateRedisServer.start();
const cluster = await PrivateRedisCluster.start();
const db = await createScratchDatabase('postgres');
const processes: GregordProcess[] = [];
try {
  const masters = (await cluster.nodes()).filter((node) => node.isMaster);
  console.log(`\n## one bus subscribing ${SUBSCRIBED_UIDS.toLocaleString('en-US')} uids at once`);
  await subscribeBurst('one Redis', { url: redis.url }, [redis.port]);
  await subscribeBurst(
    'Redis Cluster, 3 masters',
    { clusterNodes: cluster.nodeAddresses },
    masters.map((m) => m.port),
  );
  const perMaster = masters.map((master) => {
    const owns = (slot: number): boolean => master.slots.some(([a, b]) => a <= slot && slot <= b);
    return Array.from({ length: SUBSCRIBED_UIDS }, (_, i) => uidOf(i)).filter((uid) =>
      owns(slotOf(`gregor:u:${Buffer.from(uid).toString('hex')}`)),
    ).length;
  });
  console.log(`channels per master (of ${SUBSCRIBED_UIDS}): ${perMaster.join(', ')}`);
  await busThroughput([
    ['one Redis', { url: redis.url }],
    ['Redis Cluster', { clusterNodes: cluster.nodeAddresses }],
  ]);

  const quietProcess = { storage: db.url, http: false } as const;
  const onOne = await GregordProcess.startMany(
    INSTANCES,
    { ...quietProcess, redisUrl: redis.url },
    'one-redis-',
  );
  processes.push(...onOne);
  const onCluster = await GregordProcess.startMany(
    INSTANCES,
    { ...quietProcess, args: ['--redis-cluster-nodes', cluster.nodeAddresses.join(',')] },
    'cluster-',
  );
  processes.push(...onCluster);
  const layouts: Layout[] = [
    { name: '3 processes, one Redis', on: onOne, redisPids: [redis.pid!] },
    {
      name: '3 processes, Redis Cluster',
      on: onCluster,
      redisPids: cluster.servers.map((server) => server.pid!),
    },
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
    `\n## ${INSTANCES} gregord processes: ${USERS} users × 2 connections on different processes, ` +
      `window ${WINDOW} per user, ${PHASE_MS} ms phases, median of ${ROUNDS} alternating rounds; ` +
      `load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  console.table(rows);
  for (const [kind] of kinds) {
    const of = (name: string) => rows.find((r) => r.kind === kind && r.layout === name)!;
    console.log(ratioLine(kind, of('3 processes, Redis Cluster'), of('3 processes, one Redis')));
  }
  const perRound = samples.map((s) => `${s.kind} | ${s.layout}: ${s.consumesPerSec}`);
  console.log(`\nconsumes/s per round, in run order:\n  ${perRound.join('\n  ')}`);
} finally {
  await stopAll(processes);
  await cluster.stop();
  await redis.stop();
  await db.drop();
}
