/**
 * The closed-loop sections of the durable benchmark: peak consumes/s with every user keeping
 * CONFIG.window consumes in flight, each server in its own process, measured in alternating
 * rounds (the median of each figure is reported).
 * - scenario: gregord on SQLite, in-band (stored) and out-of-band (not stored) on the same
 *   connections, beside the Socket.IO peer, the bare forwarder and the plain-driver SQLite
 *   ceiling (200 rows per commit, in this process);
 * - engines: gregord in-band on PostgreSQL and on MariaDB, beside each one's plain-driver ceiling.
 */

import { CONFIG, type DurableContext } from './durable-context.js';
import { Goals, heading, int, markdownTable, median, ms, times } from './durable-report.js';
import type { Load, Store } from './durable-rig.js';
import { cpuSecondsOf } from './process-cpu.js';
import { closedLoop, type PeakResult } from './server-bench-load.js';
import { insertRows } from './storage-bench-kit.js';
import { openBenchPlace } from './storage-bench-places.js';

/** One closed-loop phase and the CPU its server used. */
interface Phase extends PeakResult {
  serverCpuPct: number;
}

async function peakPhase(load: Load, durationMs: number): Promise<Phase> {
  const cpuBefore = cpuSecondsOf(load.pid);
  const start = performance.now();
  const peak = await closedLoop(load.senders, load.recorder, CONFIG.window, durationMs);
  const elapsedSec = (performance.now() - start) / 1000;
  return { ...peak, serverCpuPct: (100 * (cpuSecondsOf(load.pid) - cpuBefore)) / elapsedSec };
}

/** Median figures of a load's phases. */
function medianOf(phases: readonly Phase[]): Phase {
  const pick = (f: (p: Phase) => number) => median(phases.map(f));
  return {
    consumesPerSec: pick((p) => p.consumesPerSec),
    deliveriesPerSec: pick((p) => p.deliveriesPerSec),
    ackP50Ms: pick((p) => p.ackP50Ms),
    ackP99Ms: pick((p) => p.ackP99Ms),
    serverCpuPct: pick((p) => p.serverCpuPct),
    errors: phases.reduce((sum, p) => sum + p.errors, 0),
  };
}

/**
 * Warm every load up, then ROUNDS rounds of one phase each, plus `extra` (a baseline measured in
 * this process) after each round; resolves with the median phase of each load.
 */
async function alternate(loads: readonly Load[], extra?: () => Promise<void>): Promise<Phase[]> {
  for (const load of loads) await peakPhase(load, CONFIG.warmupMs);
  const phases = loads.map((): Phase[] => []);
  for (let round = 0; round < CONFIG.rounds; round++) {
    for (const [i, load] of loads.entries()) phases[i]!.push(await peakPhase(load, CONFIG.phaseMs));
    await extra?.();
  }
  return phases.map(medianOf);
}

/** The plain-driver ceiling of `store`: transactions of CONFIG.users rows, rows/s per round. */
async function ceiling(
  store: Store,
): Promise<{ measure(): Promise<void>; rate(): number; close(): Promise<void> }> {
  const place = await openBenchPlace(store);
  const rates: number[] = [];
  let userBase = 0;
  return {
    async measure() {
      const r = await insertRows(place.baseline, CONFIG.users, userBase, CONFIG.phaseMs);
      userBase += CONFIG.users;
      rates.push((r.count * 1000) / r.ms);
    },
    rate: () => median(rates),
    async close() {
      await place.baseline.close();
      await place.drop();
    },
  };
}

const HEADERS = [
  'server',
  'consumes/s',
  'deliveries/s',
  'ack p50 / p99 ms',
  'server CPU %',
  'errors',
];

function row(name: string, p: Phase): unknown[] {
  return [
    name,
    int(p.consumesPerSec),
    int(p.deliveriesPerSec),
    `${ms(p.ackP50Ms)} / ${ms(p.ackP99Ms)}`,
    Math.round(p.serverCpuPct),
    p.errors,
  ];
}

/** Section 1: the scenario of the issue. */
export async function scenarioSection(ctx: DurableContext): Promise<void> {
  heading(
    `1. In-band vs out-of-band vs the Socket.IO peer: ${CONFIG.users} users × 2 connections, ` +
      `${CONFIG.window} consumes in flight per user, durable SQLite`,
  );
  const gregord = await ctx.rig.gregordLoads('sqlite');
  const loads = [
    gregord.inBand,
    gregord.outOfBand,
    await ctx.rig.peerLoad(),
    await ctx.rig.forwarderLoad(),
  ];
  const sqlite = await ceiling('sqlite');
  try {
    const [inBand, outOfBand, peer, forwarder] = (await alternate(loads, sqlite.measure)) as [
      Phase,
      Phase,
      Phase,
      Phase,
    ];
    ctx.peaks = { gregord: inBand.consumesPerSec, peer: peer.consumesPerSec };
    console.log(
      markdownTable(HEADERS, [
        row('gregord, in-band (stored in SQLite)', inBand),
        row('gregord, out-of-band (not stored), same process', outOfBand),
        row('Socket.IO peer, one SQLite commit per message', peer),
        row('bare forwarder (no auth, no storage)', forwarder),
        [
          `plain-driver SQLite, ${CONFIG.users} rows per commit`,
          `${int(sqlite.rate())} rows`,
          '',
          '',
          '',
          '',
        ],
      ]),
    );
    console.log(
      `\nin-band / bare forwarder ${times(inBand.consumesPerSec / forwarder.consumesPerSec)}, ` +
        `in-band / plain-driver SQLite ceiling ${times(inBand.consumesPerSec / sqlite.rate())}`,
    );
    Goals.print([
      ctx.goals.ratio(
        'in-band / Socket.IO peer, consumes/s',
        inBand.consumesPerSec,
        peer.consumesPerSec,
        3,
        '/s',
      ),
      ctx.goals.ratio(
        'in-band / out-of-band, consumes/s',
        inBand.consumesPerSec,
        outOfBand.consumesPerSec,
        0.6,
        '/s',
      ),
    ]);
  } finally {
    await sqlite.close();
  }
}

/** Section 3: gregord in-band on PostgreSQL and MariaDB. */
export async function enginesSection(ctx: DurableContext): Promise<void> {
  heading(
    `3. In-band through gregord on PostgreSQL and MariaDB, ${CONFIG.users} users × 2 connections`,
  );
  const rows: unknown[][] = [];
  const goals = [];
  for (const store of ['postgres', 'mysql'] as const) {
    const { inBand } = await ctx.rig.gregordLoads(store);
    const base = await ceiling(store);
    try {
      const [p] = (await alternate([inBand], base.measure)) as [Phase];
      const name = store === 'postgres' ? 'PostgreSQL' : 'MariaDB';
      rows.push([...row(`gregord, in-band on ${name}`, p), int(base.rate())]);
      goals.push(
        ctx.goals.add({
          measure: `in-band on ${name}, consumes/s (baseline: plain driver, ${CONFIG.users} rows per commit)`,
          figure: `${int(p.consumesPerSec)}/s`,
          baseline: `${int(base.rate())} rows/s`,
          ratio: times(p.consumesPerSec / base.rate()),
          goal: '≥ 10,000/s',
          met: p.consumesPerSec >= 10_000,
        }),
      );
    } finally {
      await base.close();
    }
  }
  console.log(
    markdownTable([...HEADERS, `plain driver, ${CONFIG.users} rows per commit, rows/s`], rows),
  );
  Goals.print(goals);
}
