/**
 * Section 4 of the durable benchmark: `state` and `sync` from 0 of one user holding
 * CONFIG.readItems live items, through the engine in this process, beside the raw SELECT of the
 * same rows with the plain driver (storage-bench-kit.ts), on SQLite, PostgreSQL and MariaDB; and
 * the longest the event loop was held during each (monitorEventLoopDelay), since one read that
 * blocks the loop blocks every connection of the process meanwhile.
 */
import { DIALECT_NAME, openSqlEngine } from '../packages/server/src/storage/index.js';
import { CONFIG, type DurableContext } from './durable-context.js';
import { type GoalRow, Goals, heading, markdownTable, ms, times } from './durable-report.js';
import { compareReads, populate, uidOf } from './storage-bench-kit.js';
import { openBenchPlace } from './storage-bench-places.js';

const GOAL_RATIO = 0.7;
const GOAL_BLOCK_MS = 50;

export async function readsSection(ctx: DurableContext): Promise<void> {
  const items = CONFIG.readItems;
  heading(
    `4. Reads of ${items.toLocaleString('en-US')} items: the engine beside the raw SELECT, and the longest event-loop block`,
  );
  const rows: unknown[][] = [];
  const goals: GoalRow[] = [];
  for (const dialect of Object.values(DIALECT_NAME)) {
    const place = await openBenchPlace(dialect);
    const engine = await openSqlEngine(place.url, place.options);
    try {
      const uid = uidOf(20_000_000);
      const rate = await populate(engine, place.baseline, uid, items);
      console.log(`(${dialect}: loaded ${items} items for one user at ${Math.round(rate)} msg/s)`);
      const reads = await compareReads(engine, place.baseline, uid, items, CONFIG.readIterations);
      for (const [what, r] of [
        ['state', reads.state],
        ['sync from 0', reads.sync],
      ] as const) {
        const ratio = r.raw.medianMs / r.engine.medianMs;
        rows.push([
          dialect,
          what,
          ms(r.engine.medianMs),
          ms(r.raw.medianMs),
          times(ratio),
          `${ms(r.engine.maxLoopDelayMs)} / ${ms(r.raw.maxLoopDelayMs)}`,
        ]);
        goals.push(
          ctx.goals.add({
            measure: `${dialect} ${what}, ${items} items: raw SELECT time / engine time`,
            figure: `${ms(r.engine.medianMs)} ms`,
            baseline: `${ms(r.raw.medianMs)} ms`,
            ratio: times(ratio),
            goal: `≥ ${GOAL_RATIO}×`,
            met: ratio >= GOAL_RATIO,
          }),
        );
      }
      const block = Math.max(reads.state.engine.maxLoopDelayMs, reads.sync.engine.maxLoopDelayMs);
      const rawBlock = Math.max(reads.state.raw.maxLoopDelayMs, reads.sync.raw.maxLoopDelayMs);
      goals.push(
        ctx.goals.add({
          measure: `${dialect}: longest event-loop block during the engine's reads (baseline: during the raw SELECTs)`,
          figure: `${ms(block)} ms`,
          baseline: `${ms(rawBlock)} ms`,
          ratio: '—',
          goal: `≤ ${GOAL_BLOCK_MS} ms`,
          met: block <= GOAL_BLOCK_MS,
        }),
      );
    } finally {
      await engine.close();
      await place.baseline.close();
      await place.drop();
    }
  }
  console.log(
    markdownTable(
      [
        'engine',
        'read',
        'engine ms',
        'raw SELECT ms',
        'raw / engine',
        'longest loop block, engine / raw ms',
      ],
      rows,
    ),
  );
  Goals.print(goals);
}
