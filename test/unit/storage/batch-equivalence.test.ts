/**
 * The batch planner against the memory engine: a seeded random workload (creations, duplicates,
 * replays, dismissals by ID and by range, self-dismissing updates, syncs, devices, expiries,
 * reminders) is sent in waves; each wave goes to the SQL engine all at once, so it lands in one
 * group commit, and to the memory engine one message at a time. Every answer, state, since,
 * latestCTime and reminder set must be the same. Prints the seed when it fails.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DeviceID, Message, MsgID, UID } from '../../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../../packages/client/src/state/index.js';
import { openSqlEngine } from '../../../packages/server/src/storage/index.js';
import { prng } from '../../helpers/random.js';
import { C, filled, M, R, S, T0, U, X } from './messages.js';
import { openStoragePlace, STORAGE_DIALECTS, STORAGE_SKIPS } from './storage-places.js';

const SEED = Number(process.env.GREGOR_TEST_SEED ?? 20240611);
const WAVES = 12;
const PER_WAVE = 40;
const LOCK_MS = 60_000;
const USERS = [U(1), U(2), U(3)];
const DEVICES = [null, filled(0x0d) as DeviceID, filled(0x0e) as DeviceID];
const CATEGORIES = ['a', 'b', 'c'];

/** Waves of messages; `now(wave)` is the clock during that wave. */
function workload(seed: number): Message[][] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const sent: Message[] = [];
  const ids: { uid: UID; id: MsgID }[] = [];
  let next = 300;
  const waves: Message[][] = [];
  for (let w = 0; w < WAVES; w++) {
    const now = T0 + w * 1000;
    const wave: Message[] = [];
    for (let i = 0; i < PER_WAVE; i++) {
      const uid = pick(USERS);
      const o = {
        uid,
        dev: pick(DEVICES),
        ctime: rand() < 0.2 ? now + Math.floor(rand() * 2000) - 1000 : 0,
      };
      const own = ids.filter((x) => x.uid === uid).map((x) => x.id);
      const old = (): MsgID => (own.length > 0 && rand() < 0.8 ? pick(own) : M(next + 5000));
      const fresh = M(next++);
      const r = rand();
      let m: Message;
      if (r < 0.45) {
        const dtime = rand() < 0.2 ? { offset: 1500 } : rand() < 0.1 ? { time: now + 800 } : {};
        const remind = rand() < 0.2 ? [{ time: now + 500 }, {}, { offset: 2500 }] : [];
        m = C(fresh, pick(CATEGORIES), `b${next}`, { ...o, dtime, remind });
        ids.push({ uid, id: fresh });
      } else if (r < 0.55 && own.length > 0) {
        m = C(pick(own), pick(CATEGORIES), 'dup', o);
      } else if (r < 0.7) {
        m = X(fresh, [old(), old()], o);
      } else if (r < 0.8) {
        const endTime = pick([{}, { offset: -700 }, { time: now - 300 }]);
        m = R(
          fresh,
          [{ category: pick(CATEGORIES), endTime, skip: rand() < 0.5 ? [old()] : [] }],
          o,
        );
      } else if (r < 0.88) {
        const base = C(fresh, pick(CATEGORIES), 'upd', o).ibm!.stateUpdate!;
        const dismissal =
          rand() < 0.5
            ? { msgIDs: [old()], ranges: [] }
            : {
                msgIDs: [],
                ranges: [
                  {
                    category: base.creation!.category,
                    endTime: { time: 0, offset: 0 },
                    skipMsgIDs: [fresh],
                  },
                ],
              };
        m = { ibm: { stateUpdate: { ...base, dismissal } } };
        ids.push({ uid, id: fresh });
      } else if (r < 0.93) {
        m = S(fresh, o);
      } else if (sent.length > 0) {
        m = pick(sent);
      } else {
        m = S(fresh, o);
      }
      sent.push(m);
      wave.push(m);
    }
    waves.push(wave);
  }
  return waves;
}

async function observe(sm: StateMachine, now: number): Promise<unknown> {
  const seen: unknown[] = [];
  for (const uid of USERS) {
    for (const dev of DEVICES) {
      seen.push(await sm.state(uid, dev, null));
      seen.push(await sm.inBandMessagesSince(uid, dev, 0));
      seen.push(await sm.latestCTime(uid, dev));
    }
    seen.push(await sm.state(uid, null, { time: now - 700, offset: 0 }));
    seen.push(await sm.inBandMessagesSince(uid, null, now - 1500));
    seen.push(await sm.stateByCategoryPrefix(uid, null, null, 'b'));
  }
  seen.push(await sm.reminders(7));
  return seen;
}

for (const dialect of STORAGE_DIALECTS) {
  describe(`SqlEngine group commit on ${dialect} vs MemoryEngine`, {
    skip: STORAGE_SKIPS[dialect] ?? false,
  }, () => {
    const placeP = openStoragePlace(dialect, 'gregor_eq');
    after(async () => (await placeP).drop());

    it(`answers and reads exactly as the memory engine, wave after wave (seed ${SEED})`, async () => {
      const place = await placeP;
      const clock = new ManualClock(T0);
      const sql = await openSqlEngine(place.url, {
        ...place.options,
        clock,
        reminderLockDurationMs: LOCK_MS,
      });
      const mem = new MemoryEngine({ clock, reminderLockDurationMs: LOCK_MS });
      try {
        for (const [w, wave] of workload(SEED).entries()) {
          clock.set(T0 + w * 1000);
          const sqlAnswers = Promise.all(wave.map((m) => sql.consumeMessage(m)));
          const memAnswers: Message[] = [];
          for (const m of wave) memAnswers.push(await mem.consumeMessage(m));
          assert.deepEqual(await sqlAnswers, memAnswers, `answers of wave ${w} (seed ${SEED})`);
          assert.deepEqual(
            await observe(sql, clock.now()),
            await observe(mem, clock.now()),
            `reads after wave ${w} (seed ${SEED})`,
          );
        }
      } finally {
        await sql.close();
        await mem.close();
      }
    });
  });
}
