/**
 * Section 5 of the durable benchmark: consume → delivery latency in an open loop (a fixed arrival
 * rate, round-robin over the users, not waiting for answers), at 1/steps … steps/steps of gregord's
 * closed-loop in-band peak, on the same SQLite gregord and users as the scenario section; the
 * Socket.IO peer at the same rates, up to a little past its own peak (beyond, it only queues).
 * Latency is taken on each user's second connection. Writes durable-latency.json and
 * durable-latency.svg to CONFIG.outDir; an earlier run saved there as durable-latency-before.json
 * is drawn in for comparison.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG, type DurableContext, type Peaks } from './durable-context.js';
import { Goals, heading, int, machineLine, markdownTable, ms } from './durable-report.js';
import { latencyChartSvg, type OpenLoopRecord, type OpenLoopStep } from './latency-chart.js';
import { closedLoop, type LatencyResult, openLoop } from './server-bench-load.js';

const GOAL_P99_MS = 10;
/** The peer is measured up to this multiple of its own peak. */
const PEER_HEADROOM = 1.1;

/** The peaks, measured here if the scenario section did not run. */
async function peaksOf(ctx: DurableContext): Promise<Peaks> {
  if (ctx.peaks !== undefined) return ctx.peaks;
  const { inBand } = await ctx.rig.gregordLoads('sqlite');
  const peer = await ctx.rig.peerLoad();
  const peak = async (l: typeof peer) => {
    await closedLoop(l.senders, l.recorder, CONFIG.window, CONFIG.warmupMs);
    return (await closedLoop(l.senders, l.recorder, CONFIG.window, CONFIG.phaseMs)).consumesPerSec;
  };
  ctx.peaks = { gregord: await peak(inBand), peer: await peak(peer) };
  return ctx.peaks;
}

const cell = (r: LatencyResult | null) =>
  r === null
    ? '—'
    : `${ms(r.p50Ms)} / ${ms(r.p99Ms)}${r.errors > 0 ? ` (${r.errors} errors)` : ''}`;

export async function openLoopSection(ctx: DurableContext): Promise<void> {
  heading(
    `5. Open loop: consume → delivery latency at fixed arrival rates, ${CONFIG.users} users × 2 connections, durable SQLite`,
  );
  const peaks = await peaksOf(ctx);
  const { inBand } = await ctx.rig.gregordLoads('sqlite');
  const peer = await ctx.rig.peerLoad();
  const steps: OpenLoopStep[] = [];
  for (let s = 1; s <= CONFIG.openSteps; s++) {
    const fraction = s / CONFIG.openSteps;
    const ratePerSec = Math.max(1, Math.round(peaks.gregord * fraction));
    const gregord = await openLoop(inBand.senders, inBand.recorder, ratePerSec, CONFIG.openPhaseMs);
    const peerResult =
      ratePerSec <= peaks.peer * PEER_HEADROOM
        ? await openLoop(peer.senders, peer.recorder, ratePerSec, CONFIG.openPhaseMs)
        : null;
    steps.push({ fraction, ratePerSec, gregord, peer: peerResult });
  }
  console.log(
    markdownTable(
      [
        'rate, % of gregord peak',
        'offered /s',
        'gregord answered /s',
        'gregord p50 / p99 ms',
        'Socket.IO peer p50 / p99 ms',
      ],
      steps.map((s) => [
        `${Math.round(s.fraction * 100)} %`,
        int(s.ratePerSec),
        int(s.gregord.achievedPerSec),
        cell(s.gregord),
        cell(s.peer),
      ]),
    ),
  );
  const record: OpenLoopRecord = {
    recorded: new Date().toISOString(),
    machine: machineLine(),
    users: CONFIG.users,
    phaseMs: CONFIG.openPhaseMs,
    peakPerSec: peaks.gregord,
    peerPeakPerSec: peaks.peer,
    goalP99Ms: GOAL_P99_MS,
    steps,
  };
  mkdirSync(CONFIG.outDir, { recursive: true });
  const beforePath = join(CONFIG.outDir, 'durable-latency-before.json');
  const before = existsSync(beforePath)
    ? (JSON.parse(readFileSync(beforePath, 'utf8')) as OpenLoopRecord)
    : undefined;
  writeFileSync(
    join(CONFIG.outDir, 'durable-latency.json'),
    `${JSON.stringify(record, null, 1)}\n`,
  );
  writeFileSync(join(CONFIG.outDir, 'durable-latency.svg'), latencyChartSvg(record, before));
  console.log(`\nwrote durable-latency.json and durable-latency.svg to ${CONFIG.outDir}`);

  // The goal is read at half the peak: the step closest to it.
  const half = steps.reduce((best, s) =>
    Math.abs(s.fraction - 0.5) < Math.abs(best.fraction - 0.5) ? s : best,
  );
  Goals.print([
    ctx.goals.add({
      measure: `p99 consume → delivery at ${Math.round(half.fraction * 100)} % of the peak (${int(half.ratePerSec)}/s), open loop (baseline: Socket.IO peer at the same rate)`,
      figure: `${ms(half.gregord.p99Ms)} ms`,
      baseline: half.peer === null ? '—' : `${ms(half.peer.p99Ms)} ms`,
      ratio: '—',
      goal: `< ${GOAL_P99_MS} ms`,
      met: half.gregord.p99Ms < GOAL_P99_MS,
    }),
  ]);
}
