/**
 * Storage benchmark: `npx tsx bench/storage-bench.ts [sqlite|postgres|mysql ...]` (all three by
 * default). For each dialect it prints, beside a plain-driver baseline measured in the same run
 * (storage-bench-places.ts):
 * - consumes/s with 1, 16 and 256 concurrent users, each message an item creation with a 200-byte
 *   body; the baseline inserts the same rows (item + log entry) in transactions of as many rows as
 *   there are users, which is the most a group commit can gather;
 * - state and sync (inBandMessagesSince from 0) latency for users with 1k and 100k items; the
 *   baseline runs the same SELECTs with the plain driver (its default options, every column read
 *   into a row object) without building records. Beside each: the event-loop delay during the
 *   reads (max / p99, ms), engine and baseline: how long a read keeps other connections waiting.
 * Engine and baseline rounds alternate, so load from elsewhere on the machine hits both alike.
 * The run is bounded: fixed-length rounds and fixed iteration counts.
 */
import { randomBytes } from 'node:crypto';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Message, MsgID, UID } from '../packages/client/src/protocol/index.js';
import {
  DIALECT_NAME,
  type DialectName,
  openSqlEngine,
  type SqlEngine,
} from '../packages/server/src/storage/index.js';
import { type Baseline, type BaselineRow, openBenchPlace } from './storage-bench-places.js';

const ROUND_MS = 1_000;
const ROUNDS = 3;
/** Users of the consume rounds; `BENCH_C=` (empty) runs the reads alone. */
const CONCURRENCY = (process.env.BENCH_C ?? '1,16,256')
  .split(',')
  .filter((n) => n !== '')
  .map(Number);
const BODY = randomBytes(200);
const CATEGORY = Buffer.from('bench');
/** A logged creation is about this many bytes of canonical msgpack. */
const LOG_BODY = randomBytes(330);

function uidOf(n: number): UID {
  const uid = Buffer.alloc(16);
  uid.writeUInt32BE(n, 12);
  return new Uint8Array(uid) as UID;
}

function creation(uid: UID): Message {
  return {
    ibm: {
      stateUpdate: {
        md: {
          uid,
          msgID: new Uint8Array(randomBytes(16)) as MsgID,
          ctime: 0,
          deviceID: null,
          inBandMsgType: 1,
        },
        creation: { category: 'bench', body: BODY, dtime: { time: 0, offset: 0 }, remindTimes: [] },
      },
    },
  };
}

function baselineRow(uid: UID): BaselineRow {
  return {
    uid: Buffer.from(uid),
    msgID: randomBytes(16),
    ctime: Date.now(),
    category: CATEGORY,
    body: BODY,
    logBody: LOG_BODY,
  };
}

/** Run `users` loops of `step` for `ms`; resolves with the number of messages done. */
async function runFor(
  ms: number,
  users: number,
  step: (user: number) => Promise<number>,
): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: users }, async (_, user) => {
      while (performance.now() < end) {
        // Not `done += await …`: that reads `done` before the await and loses other users' counts.
        const n = await step(user);
        done += n;
      }
    }),
  );
  return done;
}

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
    let t = performance.now();
    eng.count += await runFor(ROUND_MS, users, async (u) => {
      await engine.consumeMessage(creation(uidOf(userBase + u)));
      return 1;
    });
    eng.ms += performance.now() - t;
    t = performance.now();
    // One transaction of `users` rows: what a group commit of this many users writes at best.
    base.count += await runFor(ROUND_MS, 1, async () => {
      await baseline.insert(
        Array.from({ length: users }, (_, u) => baselineRow(uidOf(userBase + u))),
      );
      return users;
    });
    base.ms += performance.now() - t;
  }
  return { engine: perSecond(eng), baseline: perSecond(base) };
}

async function populate(
  engine: SqlEngine,
  baseline: Baseline,
  uid: UID,
  items: number,
): Promise<number> {
  const t = performance.now();
  let left = items;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (left > 0) {
        left--;
        await engine.consumeMessage(creation(uid));
      }
    }),
  );
  const ms = performance.now() - t;
  for (let i = 0; i < items; i += 1000) {
    await baseline.insert(
      Array.from({ length: Math.min(1000, items - i) }, () => baselineRow(uid)),
    );
  }
  return (items * 1000) / ms;
}

/** One read's figures: its median latency, and the worst event-loop delay seen during it. */
interface ReadFigures {
  medianMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
}

/**
 * Run `engine` and `baseline` alternately `iterations` times (so load from elsewhere on the
 * machine hits both alike), each checked to return `expected` rows. The event-loop delay is
 * sampled every millisecond during the engine's reads: its max is the longest the engine kept
 * every other connection waiting (a pause of the whole process by the OS on a loaded machine
 * counts too).
 */
async function compareReads(
  iterations: number,
  expected: number,
  engine: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<{ engine: ReadFigures; baseline: ReadFigures }> {
  const run = async (fn: () => Promise<number>, times: number[], delay: IntervalHistogram) => {
    delay.enable();
    const t = performance.now();
    const n = await fn();
    times.push(performance.now() - t);
    // The sampling timer runs once more, so a block just before the read resolved (or a
    // synchronous read as a whole) is counted too.
    await new Promise((resolve) => setTimeout(resolve, 5));
    delay.disable();
    if (n !== expected) throw new Error(`expected ${expected} rows, got ${n}`);
  };
  const figures = () => ({
    times: [] as number[],
    delay: monitorEventLoopDelay({ resolution: 1 }),
  });
  const eng = figures();
  const base = figures();
  for (let i = 0; i < iterations; i++) {
    await run(engine, eng.times, eng.delay);
    await run(baseline, base.times, base.delay);
  }
  const summary = ({ times, delay }: ReturnType<typeof figures>): ReadFigures => ({
    medianMs: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!,
    loopMaxMs: delay.max / 1e6,
    loopP99Ms: delay.percentile(99) / 1e6,
  });
  return { engine: summary(eng), baseline: summary(base) };
}

const fmt = (n: number, unit: string) => `${n >= 100 ? Math.round(n) : n.toFixed(1)} ${unit}`;
function line(
  dialect: string,
  what: string,
  engine: string,
  baseline: string,
  ratio: number,
  loop = '',
) {
  console.log(
    `${dialect.padEnd(9)}${what.padEnd(30)}${engine.padStart(14)}${baseline.padStart(16)}${`${Math.round(ratio * 100)}%`.padStart(8)}${loop}`,
  );
}

/** A read's line: latencies, ratio, and the event-loop delay (max / p99) of engine and baseline. */
function readLine(
  dialect: string,
  what: string,
  r: { engine: ReadFigures; baseline: ReadFigures },
) {
  const loop = (f: ReadFigures) => `${Math.round(f.loopMaxMs)} / ${Math.round(f.loopP99Ms)}`;
  line(
    dialect,
    what,
    fmt(r.engine.medianMs, 'ms'),
    fmt(r.baseline.medianMs, 'ms'),
    r.baseline.medianMs / r.engine.medianMs,
    `${loop(r.engine).padStart(14)}${loop(r.baseline).padStart(14)}`,
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
      [100_000, 5],
    ] as const) {
      const uid = uidOf(10_000_000 + items);
      const rate = await populate(engine, place.baseline, uid, items);
      console.log(
        `${dialect.padEnd(9)}(loaded ${items} items for one user at ${Math.round(rate)} msg/s)`,
      );
      const now = Date.now() + 1000;
      readLine(
        dialect,
        `state, ${items} items`,
        await compareReads(
          iterations,
          items,
          async () => (await engine.state(uid, null, null)).items.length,
          () => place.baseline.selectItems(Buffer.from(uid), now),
        ),
      );
      readLine(
        dialect,
        `sync from 0, ${items} items`,
        await compareReads(
          iterations,
          items,
          async () => (await engine.inBandMessagesSince(uid, null, 0)).length,
          () => place.baseline.selectLog(Buffer.from(uid)),
        ),
      );
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
  `${'dialect'.padEnd(9)}${'workload'.padEnd(30)}${'engine'.padStart(14)}${'baseline'.padStart(16)}${'ratio'.padStart(8)}${'loop engine'.padStart(14)}${'loop base'.padStart(14)}`,
);
for (const d of dialects) await benchDialect(d);
