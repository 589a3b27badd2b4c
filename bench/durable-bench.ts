/**
 * Durable in-band throughput benchmark (issue 12). Run (a few minutes, loopback only):
 *   node scripts/run-benches.mjs durable
 * or a few sections: BENCH_SECTIONS=scenario,burst node scripts/run-benches.mjs durable
 *
 * Every figure beside its baseline, measured in the same run:
 * 1. scenario: gregord in-band (SQLite WAL, synchronous=FULL) vs out-of-band on the same gregord
 *    vs a Socket.IO peer (one SQLite commit per message) vs the bare forwarder;
 * 5. openloop: consume → delivery p50/p99 at fixed rates, JSON and SVG chart in docs/images/;
 * 2. burst: one user's pipelined burst vs the same count over 64 users, SQLite and PostgreSQL;
 * 3. engines: gregord in-band on PostgreSQL and MariaDB vs each plain-driver ceiling;
 * 4. reads: state and sync of 100k items vs the raw SELECT, with the longest event-loop block;
 * 6. heap: per idle authenticated connection at 50,000 connections vs the bare forwarder.
 * (Numbered as the goals of the issue; run in the order listed.)
 * Each section prints markdown tables and its goal rows (figure, baseline, ratio, goal, met);
 * all goal rows are printed again at the end. Settings: durable-context.ts.
 * Every server is a child process on 127.0.0.1; all are stopped, and databases and temp
 * directories removed, however the run ends. A failed section is reported and the run goes on
 * (exit code 1 at the end).
 */

import { burstSection } from './durable-burst.js';
import { enginesSection, scenarioSection } from './durable-closed-loop.js';
import { CONFIG, type DurableContext } from './durable-context.js';
import { heapSection } from './durable-heap.js';
import { openLoopSection } from './durable-open-loop.js';
import { readsSection } from './durable-reads.js';
import { Goals, loadAverage, machineLine } from './durable-report.js';
import { DurableRig } from './durable-rig.js';

// In this order the open loop follows the scenario whose peaks it takes fractions of.
const SECTIONS: Record<string, (ctx: DurableContext) => Promise<void>> = {
  scenario: scenarioSection,
  openloop: openLoopSection,
  burst: burstSection,
  engines: enginesSection,
  reads: readsSection,
  heap: heapSection,
};

const asked = (process.env.BENCH_SECTIONS ?? process.argv.slice(2).join(','))
  .split(',')
  .filter((s) => s !== '');
const chosen = asked.length > 0 ? asked : Object.keys(SECTIONS);
for (const name of chosen) {
  if (SECTIONS[name] === undefined) {
    throw new Error(`unknown section ${name}; one of ${Object.keys(SECTIONS).join(', ')}`);
  }
}

const started = performance.now();
console.log(`## Durable in-band throughput: ${machineLine()}`);
console.log(
  `sections ${chosen.join(', ')}; ${CONFIG.users} users, ${CONFIG.phaseMs} ms phases, ` +
    `median of ${CONFIG.rounds} alternating rounds`,
);
const ctx: DurableContext = { rig: new DurableRig(CONFIG.users), goals: new Goals() };
// Interrupted: the children would stop by themselves (their stdin closes), but the scratch
// databases and temp directories are only removed by the rig.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: cleaning up`);
    void ctx.rig.close().finally(() => process.exit(130));
  });
}
const failed: string[] = [];
try {
  for (const name of chosen) {
    // One section failing (a database down, a limit hit) leaves the others' figures standing.
    try {
      await SECTIONS[name]!(ctx);
    } catch (err) {
      failed.push(name);
      console.log(`\nsection ${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
} finally {
  await ctx.rig.close();
}
console.log(
  `\n### Goals (issue 12)\n\nrun took ${Math.round((performance.now() - started) / 1000)} s; ` +
    `load average at the end ${loadAverage()}`,
);
Goals.print(ctx.goals.rows);
if (failed.length > 0) {
  console.log(`\nfailed sections: ${failed.join(', ')}`);
  process.exitCode = 1;
}
