/**
 * The capacity model: from per-unit costs (measured by bench/capacity-measure.ts) and stated
 * assumptions about the deployment, how many gregord processes, Redis shards and database nodes.
 * Pure arithmetic, so docs/capacity.md can show every step.
 */

/** What was measured on this machine. */
export interface Measured {
  /** Heap + external bytes one idle authenticated connection holds in gregord. */
  bytesPerConnection: number;
  /** At how many connections that was measured. */
  heapConnections: number;
  /** gregord CPU per delivery (out-of-band CPU / deliveries: includes the consume's share). */
  cpuUsPerDelivery: number;
  /** Extra gregord CPU of an in-band consume over an out-of-band one: storing it (SQLite in-process). */
  cpuUsPerStoredConsume: number;
  /** Redis used_memory per subscribed uid. */
  redisBytesPerSubscription: number;
  /** PostgreSQL bytes per stored item and per logged message (with their indexes). */
  dbBytesPerItem: number;
  dbBytesPerMessage: number;
}

/** Stated, not measured. Every figure here is a choice; change it and rerun. */
export const ASSUMED = {
  users: 10_000_000,
  connectedDevices: 1_000_000,
  /** Devices connected per connected user: a user's message fans out to this many connections. */
  devicesPerConnectedUser: 1.5,
  /** In-band messages (stored) per user per day, averaged over all users. */
  inBandPerUserPerDay: 5,
  /** Out-of-band messages (typing, presence; not stored) per connected user per hour. */
  outOfBandPerConnectedUserPerHour: 20,
  /** Peak rate / average rate, for both kinds. */
  peakFactor: 10,
  /** Heap one gregord process may spend on connections (Node's default old space is ~2-4 GiB). */
  heapBudgetPerProcessBytes: 1024 ** 3,
  /** Share of one core a process may use at peak (headroom for GC, bursts, reconnect storms). */
  cpuTargetUtilization: 0.5,
  /**
   * gregord CPU with the Redis bus over the in-process bus the measurement uses: docs/benchmarks.md
   * (server, 1 process) shows 1.82× the out-of-band throughput without Redis; we charge 1.8×.
   */
  redisBusCpuFactor: 1.8,
  /** RedisBus messages/s one Redis instance carried, docs/benchmarks.md (pub/sub, A → B). */
  redisMsgPerSecPerShard: 76_387,
  /** Share of that a shard may run at. */
  redisTargetUtilization: 0.5,
  /** Memory one Redis shard may spend on subscriptions. */
  redisMemoryBudgetBytes: 4 * 1024 ** 3,
  /** PostgreSQL consumes/s at 256 users, docs/benchmarks.md (storage) on this 2-vCPU machine. */
  dbConsumesPerSecPerNode: 20_301,
  dbTargetUtilization: 0.5,
  /** Disk one database node holds, before replicas. */
  dbStorageBudgetBytes: 2 * 1024 ** 4,
  /** Retention horizon (the issue's --retention 30d): items and log older than this are deleted. */
  retentionDays: 30,
  /** The unbounded case is shown after this many days of service. */
  growthDays: 365,
} as const;

export type Assumed = typeof ASSUMED;

const DAY_SEC = 86_400;

/** One line of the result. */
export interface Row {
  resource: string;
  demand: string;
  perUnit: string;
  count: number;
  boundBy: string;
}

const n = (x: number, digits = 0): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const gib = (bytes: number): string => `${n(bytes / 1024 ** 3, 1)} GiB`;
const tib = (bytes: number): string => `${n(bytes / 1024 ** 4, 2)} TiB`;

/** The derived rates and the three resource counts. */
export function computeCapacity(m: Measured, a: Assumed = ASSUMED) {
  const connectedUsers = a.connectedDevices / a.devicesPerConnectedUser;
  const inBandAvg = (a.users * a.inBandPerUserPerDay) / DAY_SEC;
  const inBandPeak = inBandAvg * a.peakFactor;
  const oobPeak = ((connectedUsers * a.outOfBandPerConnectedUserPerHour) / 3600) * a.peakFactor;
  // Conservative: every message is for a connected user, delivered to each of their devices.
  const deliveriesPeak = (inBandPeak + oobPeak) * a.devicesPerConnectedUser;

  // gregord: connections by heap, and CPU at peak.
  const connectionsPerProcess = Math.floor(a.heapBudgetPerProcessBytes / m.bytesPerConnection);
  const byHeap = Math.ceil(a.connectedDevices / connectionsPerProcess);
  const cpuSecPerSec =
    ((deliveriesPeak * m.cpuUsPerDelivery + inBandPeak * m.cpuUsPerStoredConsume) / 1e6) *
    a.redisBusCpuFactor;
  const byCpu = Math.ceil(cpuSecPerSec / a.cpuTargetUtilization);
  const processes = Math.max(byHeap, byCpu);

  // Redis: one subscription per (process, connected user); at most one per connected device.
  const subscriptions = Math.min(a.connectedDevices, connectedUsers * processes);
  const redisBytes = subscriptions * m.redisBytesPerSubscription;
  const shardsByMemory = Math.ceil(redisBytes / a.redisMemoryBudgetBytes);
  const publishesPeak = inBandPeak + oobPeak;
  const shardsByRate = Math.ceil(
    publishesPeak / (a.redisMsgPerSecPerShard * a.redisTargetUtilization),
  );
  const shards = Math.max(shardsByMemory, shardsByRate);

  // Database: write rate, and bytes with and without retention (one item + one log row per consume).
  const bytesPerConsume = m.dbBytesPerItem + m.dbBytesPerMessage;
  const retainedBytes = inBandAvg * a.retentionDays * DAY_SEC * bytesPerConsume;
  const unboundedBytes = inBandAvg * a.growthDays * DAY_SEC * bytesPerConsume;
  const dbByRate = Math.ceil(inBandPeak / (a.dbConsumesPerSecPerNode * a.dbTargetUtilization));
  const dbByRetained = Math.ceil(retainedBytes / a.dbStorageBudgetBytes);
  const dbByUnbounded = Math.ceil(unboundedBytes / a.dbStorageBudgetBytes);

  const rows: Row[] = [
    {
      resource: 'gregord processes',
      demand: `${n(a.connectedDevices)} connections; ${n(cpuSecPerSec, 2)} CPU-s/s at peak`,
      perUnit: `${n(connectionsPerProcess)} conns (heap); ${a.cpuTargetUtilization} core`,
      count: processes,
      boundBy: `heap ${byHeap}, CPU ${byCpu}`,
    },
    {
      resource: 'Redis shards',
      demand: `${n(subscriptions)} subs = ${gib(redisBytes)}; ${n(publishesPeak)} publishes/s peak`,
      perUnit: `${gib(a.redisMemoryBudgetBytes)}; ${n(a.redisMsgPerSecPerShard * a.redisTargetUtilization)} msg/s`,
      count: shards,
      boundBy: `memory ${shardsByMemory}, rate ${shardsByRate}`,
    },
    {
      resource: `DB nodes, ${a.retentionDays}-day retention`,
      demand: `${n(inBandPeak)} consumes/s peak; ${tib(retainedBytes)} steady`,
      perUnit: `${n(a.dbConsumesPerSecPerNode * a.dbTargetUtilization)} consumes/s; ${tib(a.dbStorageBudgetBytes)}`,
      count: Math.max(dbByRate, dbByRetained),
      boundBy: `rate ${dbByRate}, storage ${dbByRetained}`,
    },
    {
      resource: `DB nodes, no retention, day ${a.growthDays}`,
      demand: `${n(inBandPeak)} consumes/s peak; ${tib(unboundedBytes)} and growing`,
      perUnit: `${n(a.dbConsumesPerSecPerNode * a.dbTargetUtilization)} consumes/s; ${tib(a.dbStorageBudgetBytes)}`,
      count: Math.max(dbByRate, dbByUnbounded),
      boundBy: `rate ${dbByRate}, storage ${dbByUnbounded}`,
    },
  ];
  return {
    rates: {
      connectedUsers,
      inBandAvg,
      inBandPeak,
      oobPeak,
      deliveriesPeak,
      rowsRetained: inBandAvg * a.retentionDays * DAY_SEC,
      rowsPerYear: inBandAvg * 365 * DAY_SEC,
      bytesPerConsume,
    },
    rows,
  };
}

/** Print the derived rates and the result table (markdown, as docs/capacity.md shows it). */
export function printCapacity(m: Measured, a: Assumed = ASSUMED): void {
  const { rates, rows } = computeCapacity(m, a);
  console.log('\n### Derived rates\n');
  console.log(`- connected users: ${n(rates.connectedUsers)}`);
  console.log(
    `- in-band consumes/s: ${n(rates.inBandAvg)} average, ${n(rates.inBandPeak)} peak; ` +
      `out-of-band at peak: ${n(rates.oobPeak)}/s; deliveries at peak: ${n(rates.deliveriesPeak)}/s`,
  );
  console.log(
    `- stored rows (items + log, each): ${n(rates.rowsRetained)} at steady state with ` +
      `${a.retentionDays}-day retention (rate × horizon), vs ${n(rates.rowsPerYear)} more every year ` +
      `without; ${n(rates.bytesPerConsume)} B per consume on PostgreSQL`,
  );
  console.log('\n### Result\n');
  console.log('| resource | demand | one unit takes | count | bound by |');
  console.log('|---|---|---|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.resource} | ${r.demand} | ${r.perUnit} | ${r.count} | ${r.boundBy} |`);
  }
}
