/**
 * The pieces the storage benchmark and the durable benchmark share: messages and baseline rows,
 * the loops that time consumes and plain-driver inserts, the loading of one user's items, and the
 * timing of `state` and `sync` beside the raw SELECT of the same rows, with the longest event-loop
 * block each caused.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Message, MsgID, UID } from '../packages/client/src/protocol/index.js';
import type { SqlEngine } from '../packages/server/src/storage/index.js';
import type { Baseline, BaselineRow } from './storage-bench-places.js';

const BODY = randomBytes(200);
const CATEGORY = Buffer.from('bench');
/** A logged creation is about this many bytes of canonical msgpack. */
const LOG_BODY = randomBytes(330);

export function uidOf(n: number): UID {
  const uid = Buffer.alloc(16);
  uid.writeUInt32BE(n, 12);
  return new Uint8Array(uid) as UID;
}

/** A creation of an item with a 200-byte body and a random msgID. */
export function creation(uid: UID): Message {
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

/** The baseline's rows of one creation for `uid`. */
export function baselineRow(uid: UID): BaselineRow {
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
export async function runFor(
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

/**
 * The plain-driver ceiling for `ms`: transactions of `rowsPerCommit` creations, one after another,
 * for users `userBase`…; resolves with the rows written and the time taken.
 */
export async function insertRows(
  baseline: Baseline,
  rowsPerCommit: number,
  userBase: number,
  ms: number,
): Promise<{ count: number; ms: number }> {
  const start = performance.now();
  const count = await runFor(ms, 1, async () => {
    await baseline.insert(
      Array.from({ length: rowsPerCommit }, (_, u) => baselineRow(uidOf(userBase + u))),
    );
    return rowsPerCommit;
  });
  return { count, ms: performance.now() - start };
}

/**
 * Give `uid` `items` live items, through the engine (256 consumes in flight) and in the baseline's
 * tables; resolves with the engine's rate, msg/s.
 */
export async function populate(
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

/** How one kind of read went: its median time, and the longest the event loop was held. */
export interface ReadFigures {
  medianMs: number;
  maxLoopDelayMs: number;
}

/** Time `iterations` calls of `fn`, each expected to return `expected` rows. */
export async function timeReads(
  iterations: number,
  fn: () => Promise<number>,
  expected: number,
): Promise<ReadFigures> {
  // A timer every 5 ms: a read that holds the loop for B ms makes one of them B ms late.
  const monitor = monitorEventLoopDelay({ resolution: 5 });
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    monitor.enable();
    const t = performance.now();
    const n = await fn();
    times.push(performance.now() - t);
    // The late timer fires on the loop's next turn; keep watching until it has.
    await delay(20);
    monitor.disable();
    if (n !== expected) throw new Error(`expected ${expected} rows, got ${n}`);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, maxLoopDelayMs: monitor.max / 1e6 };
}

/** `state` and `sync` from 0 of `uid` through the engine and as raw SELECTs. */
export interface ReadComparison {
  state: { engine: ReadFigures; raw: ReadFigures };
  sync: { engine: ReadFigures; raw: ReadFigures };
}

/** Time the reads of `uid`, holding `items` live items, `iterations` times each. */
export async function compareReads(
  engine: SqlEngine,
  baseline: Baseline,
  uid: UID,
  items: number,
  iterations: number,
): Promise<ReadComparison> {
  const now = Date.now() + 1000;
  const key = Buffer.from(uid);
  return {
    state: {
      engine: await timeReads(
        iterations,
        async () => (await engine.state(uid, null, null)).items.length,
        items,
      ),
      raw: await timeReads(iterations, () => baseline.selectItems(key, now), items),
    },
    sync: {
      engine: await timeReads(
        iterations,
        async () => (await engine.inBandMessagesSince(uid, null, 0)).length,
        items,
      ),
      raw: await timeReads(iterations, () => baseline.selectLog(key), items),
    },
  };
}
