/**
 * Storage benchmark: `npx tsx bench/storage-bench.ts [sqlite|postgres|mysql ...]` (all three by
 * default). For each dialect it prints, beside a plain-driver baseline measured in the same run
 * (storage-bench-places.ts):
 * - consumes/s with 1, 16 and 256 concurrent users, each message an item creation with a 200-byte
 *   body; the baseline inserts the same rows (item + log entry) in transactions of as many rows as
 *   there are users, which is the most a group commit can gather;
 * - state and sync (inBandMessagesSince from 0) latency for users with 1k and 100k items; the
 *   baseline runs the same SELECTs without building records.
 * Engine and baseline rounds alternate, so load from elsewhere on the machine hits both alike.
 * The run is bounded: fixed-length rounds and fixed iteration counts.
 */
import {
  DIALECT_NAME,
  type DialectName,
  openSqlEngine,
  type SqlEngine,
} from '../packages/server/src/storage/index.js';
import {
  compareReads,
  creation,
  insertRows,
  populate,
  runFor,
  uidOf,
} from './storage-bench-kit.js';
import { type Baseline, openBenchPlace } from './storage-bench-places.js';

const ROUND_MS = 1_000;
const ROUNDS = 3;
const CONCURRENCY = (process.env.BENCH_C ?? '1,16,256').split(',').map(Number);

interface Rate {
  count: number;
  ms: number;
}
const perSecond = (r: Rate): number => (r.count * 1000) / r.ms;

async function consumeRates(
  engine: SqlEngine,
  baseline: Baseline,
  users: number,
  userBase: number,
) {
  const eng: Rate = { count: 0, ms: 0 };
  const base: Rate = { count: 0, ms: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    eng.count += await runFor(ROUND_MS, users, async (u) => {
      await engine.consumeMessage(creation(uidOf(userBase + u)));
      return 1;
    });
    eng.ms += performance.now() - t;
    // One transaction of `users` rows: what a group commit of this many users writes at best.
    const inserted = await insertRows(baseline, users, userBase, ROUND_MS);
    base.count += inserted.count;
    base.ms += inserted.ms;
  }
  return { engine: perSecond(eng), baseline: perSecond(base) };
}

const fmt = (n: number, unit: string) => `${n >= 100 ? Math.round(n) : n.toFixed(1)} ${unit}`;
function line(dialect: string, what: string, engine: string, baseline: string, ratio: number) {
  console.log(
    `${dialect.padEnd(9)}${what.padEnd(30)}${engine.padStart(14)}${baseline.padStart(16)}${`${Math.round(ratio * 100)}%`.padStart(8)}`,
  );
}

async function benchDialect(dialect: DialectName): Promise<void> {
  const place = await openBenchPlace(dialect);
  const engine = await openSqlEngine(place.url, place.options);
  try {
    let userBase = 1000;
    for (const users of CONCURRENCY) {
      const r = await consumeRates(engine, place.baseline, users, userBase);
      userBase += users;
      line(
        dialect,
        `consume, ${users} user${users > 1 ? 's' : ''}`,
        fmt(r.engine, 'msg/s'),
        fmt(r.baseline, 'rows/s'),
        r.engine / r.baseline,
      );
    }
    for (const [items, iterations] of [
      [1_000, 30],
      [100_000, 3],
    ] as const) {
      const uid = uidOf(10_000_000 + items);
      const rate = await populate(engine, place.baseline, uid, items);
      console.log(
        `${dialect.padEnd(9)}(loaded ${items} items for one user at ${Math.round(rate)} msg/s)`,
      );
      const reads = await compareReads(engine, place.baseline, uid, items, iterations);
      for (const [what, r] of [
        [`state, ${items} items`, reads.state],
        [`sync from 0, ${items} items`, reads.sync],
      ] as const) {
        line(
          dialect,
          what,
          fmt(r.engine.medianMs, 'ms'),
          fmt(r.raw.medianMs, 'ms'),
          r.raw.medianMs / r.engine.medianMs,
        );
      }
    }
  } finally {
    await engine.close();
    await place.baseline.close();
    await place.drop();
  }
}

const asked = process.argv.slice(2);
const dialects = (asked.length > 0 ? asked : Object.values(DIALECT_NAME)) as DialectName[];
for (const d of dialects) {
  if (!Object.values(DIALECT_NAME).includes(d))
    throw new Error(`unknown dialect ${d}: use sqlite, postgres or mysql`);
}
console.log(
  `${'dialect'.padEnd(9)}${'workload'.padEnd(30)}${'engine'.padStart(14)}${'baseline'.padStart(16)}${'ratio'.padStart(8)}`,
);
for (const d of dialects) await benchDialect(d);
