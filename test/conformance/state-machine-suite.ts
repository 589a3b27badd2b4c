/**
 * THE state-machine conformance suite: one suite runs unchanged against every engine — memory,
 * SQLite, PostgreSQL, MySQL — so the engines cannot drift apart.
 *
 * Behaviours are numbered across the test suite (`case N`, 1–71): the same number marks the same
 * behaviour in every file that tests it. This suite covers cases 1–38 and 60–61, those that apply
 * to a server state machine, the state hash vectors (docs/data-model.md, "The state hash"), and the
 * choices this project made where Keybase's engines differ (docs/protocol.md, "Differences from
 * Keybase's Go gregor"). `runLocalStateSuite` covers the client-only cases 39–40.
 *
 * This file is longer than the usual 100–250 lines on purpose: it is the one normative list of
 * cases, and splitting it would scatter them. It uses only the StateMachine interface, never an
 * engine's internals, and a ManualClock for every time rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DeviceID,
  encodeState,
  type InBandMessage,
  type Message,
  type MsgID,
  type MsgRange,
  type State,
  stateHash,
  type Time,
  type TimeOrOffset,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/internal.js';
import {
  type LocalState,
  ManualClock,
  type StateMachine,
  type WaitOptions,
} from '../../packages/client/src/state/index.js';

/** The fake clock the suite hands to `makeEngine`; tests move it with `set`/`advance`. */
export type FakeClock = ManualClock;

/** Options of `runStateMachineSuite`. */
export interface StateMachineSuiteOptions {
  /** Skip every case with this reason (e.g. the database is unreachable outside CI). */
  skip?: string;
  /** Items of the "large user" case. @default 5000 */
  largeUserItems?: number;
  /** Timeout of each case, ms. @default 180000 (a large user on a loaded machine takes most of a minute) */
  timeoutMs?: number;
}

// ---- Fixtures (the short names the tests share: M(n), C, X, R, S) ----------------------------

/** T0 has a non-zero millisecond part, so any rounding to seconds shows up. */
const T0 = 1_700_000_000_123;
const SEC = 1000;

function filled(n: number): Uint8Array {
  return new Uint8Array(16).fill(n);
}
const U1 = filled(0x01) as UID;
const U2 = filled(0x02) as UID;
const D1 = filled(0x0d) as DeviceID;
const D2 = filled(0x0e) as DeviceID;
/** M(n): a msgID of 16 bytes all equal to n. */
const M = (n: number): MsgID => filled(n) as MsgID;
/** A distinct msgID for index i of the large-user case. */
function bigID(i: number): MsgID {
  const id = filled(0xa0);
  id[14] = i >> 8;
  id[15] = i & 0xff;
  return id as MsgID;
}
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string | null =>
  b === null || b === undefined ? null : new TextDecoder().decode(b);

/** "M<n>" for an M(n) id, else its hex: readable diffs in failed assertions. */
function idName(id: Uint8Array): string {
  const first = id[0];
  return id.length === 16 && id.every((b) => b === first) ? `M${first}` : toHex(id);
}

interface MdOptions {
  uid?: UID;
  ctime?: Time;
  dev?: DeviceID | null;
}
interface CreateOptions extends MdOptions {
  dtime?: Partial<TimeOrOffset>;
  remind?: Partial<TimeOrOffset>[];
}
interface RangeSpec {
  category: string;
  endTime?: Partial<TimeOrOffset>;
  skip?: MsgID[];
}

const tOO = (t: Partial<TimeOrOffset> = {}): TimeOrOffset => ({
  time: t.time ?? 0,
  offset: t.offset ?? 0,
});

function md(id: MsgID, o: MdOptions) {
  return {
    uid: o.uid ?? U1,
    msgID: id,
    ctime: o.ctime ?? 0,
    deviceID: o.dev ?? null,
    inBandMsgType: 1,
  };
}
function creation(category: string, body: string, o: CreateOptions) {
  return {
    category,
    body: utf8(body),
    dtime: tOO(o.dtime),
    remindTimes: (o.remind ?? []).map(tOO),
  };
}
function ranges(specs: RangeSpec[]): MsgRange[] {
  return specs.map((r) => ({
    category: r.category,
    endTime: tOO(r.endTime),
    skipMsgIDs: r.skip ?? [],
  }));
}

/** C(M, cat, body, opts): a creation. */
function C(id: MsgID, category = 'a', body = 'x', o: CreateOptions = {}): Message {
  return { ibm: { stateUpdate: { md: md(id, o), creation: creation(category, body, o) } } };
}
/** X(M, ids): a dismissal by IDs. */
function X(id: MsgID, ids: MsgID[], o: MdOptions = {}): Message {
  return { ibm: { stateUpdate: { md: md(id, o), dismissal: { msgIDs: ids, ranges: [] } } } };
}
/** R(M, ranges): a dismissal by ranges. */
function R(id: MsgID, specs: RangeSpec[], o: MdOptions = {}): Message {
  return {
    ibm: { stateUpdate: { md: md(id, o), dismissal: { msgIDs: [], ranges: ranges(specs) } } },
  };
}
/** One message carrying a creation and a dismissal (UpdateItem / UpdateCategory patterns). */
function CX(
  id: MsgID,
  category: string,
  body: string,
  dismissal: { ids?: MsgID[]; ranges?: RangeSpec[] },
  o: CreateOptions = {},
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: md(id, o),
        creation: creation(category, body, o),
        dismissal: { msgIDs: dismissal.ids ?? [], ranges: ranges(dismissal.ranges ?? []) },
      },
    },
  };
}

// ---- Reading helpers -------------------------------------------------------------------------

const itemIDs = (s: State): string[] => s.items.map((i) => idName(i.md!.msgID));
const bodies = (s: State, category?: string): (string | null)[] =>
  s.items
    .filter((i) => category === undefined || i.item!.category === category)
    .map((i) => text(i.item!.body));
const ibmID = (m: InBandMessage): string => idName((m.stateUpdate?.md ?? m.stateSync?.md)!.msgID);

async function stateIDs(
  sm: StateMachine,
  uid: UID = U1,
  dev: DeviceID | null = null,
  t: TimeOrOffset | null = null,
): Promise<string[]> {
  return itemIDs(await sm.state(uid, dev, t));
}
async function sinceIDs(sm: StateMachine, since: Time, uid: UID = U1, dev: DeviceID | null = null) {
  return (await sm.inBandMessagesSince(uid, dev, since)).map(ibmID);
}
async function consumeAll(sm: StateMachine, ...msgs: Message[]): Promise<void> {
  for (const m of msgs) await sm.consumeMessage(m);
}
const hex = (b: Uint8Array): string => toHex(b);
/** Consume each message with the clock set to its time. */
async function consumeAt(sm: StateMachine, clock: FakeClock, ...steps: [Time, Message][]) {
  for (const [at, m] of steps) {
    clock.set(at);
    await sm.consumeMessage(m);
  }
}

type CaseBody<E = StateMachine> = (sm: E, clock: FakeClock) => Promise<void>;
type CaseRunner<E = StateMachine> = (title: string, body: CaseBody<E>) => void;

/** An `it` that gives each case a fresh ManualClock at T0 and a fresh engine, closed afterwards. */
function caseRunner<E extends StateMachine>(
  makeEngine: (clock: FakeClock) => Promise<E>,
  timeout: number,
): CaseRunner<E> {
  return (title, body) =>
    it(title, { timeout }, async () => {
      const clock = new ManualClock(T0);
      const sm = await makeEngine(clock);
      try {
        await body(sm, clock);
      } finally {
        await sm.close();
      }
    });
}

/**
 * Run the conformance suite against the engine `makeEngine` builds. Every case gets a fresh
 * ManualClock at T0 and a fresh engine, and closes it afterwards.
 */
export function runStateMachineSuite(
  name: string,
  makeEngine: (clock: FakeClock) => Promise<StateMachine>,
  opts: StateMachineSuiteOptions = {},
): void {
  const test: CaseRunner = caseRunner(makeEngine, opts.timeoutMs ?? 180_000);
  describe(`StateMachine conformance: ${name}`, { skip: opts.skip ?? false }, () => {
    describe('creation, expiry and dismissal', () => creationCases(test));
    describe('queries: time, device, order, prefix, users', () => queryCases(test));
    describe('inBandMessagesSince and latestCTime', () => sinceCases(test));
    describe('state hash vectors', () => hashCases(test));
    describe('idempotence and replays', () => replayCases(test));
    describe('millisecond times', () => timeCases(test));
    describe('reminders', () => reminderCases(test));
    describe('quotas and read bounds', () => quotaCases(test));
    describe('input, lifecycle and scale', () => {
      inputCases(test);
      largeUserCase(test, opts.largeUserItems ?? 5000);
    });
  });
}

function creationCases(test: CaseRunner): void {
  test('case 1: an empty engine has an empty state', async (sm) => {
    assert.deepEqual(await sm.state(U1, null, null), { items: [] });
    assert.deepEqual(await sm.inBandMessagesSince(U1, null, 0), []);
  });

  test('case 2: a creation with ctime 0 is stamped with now and exported in MakeItem shape', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', 'x'));
    const state = await sm.state(U1, null, null);
    assert.deepEqual(state.items, [
      {
        md: { uid: U1, msgID: M(1), ctime: T0, deviceID: null, inBandMsgType: 1 },
        item: { category: 'a', dtime: { time: 0, offset: 0 }, remindTimes: [], body: utf8('x') },
      },
    ]);
  });

  test('case 3: an explicit ctime is trusted', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 - 5000 }));
    const state = await sm.state(U1, null, null);
    assert.equal(state.items[0]?.md?.ctime, T0 - 5000);
  });

  test('case 3b: an explicit ctime in the future is trusted too', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 + 60 * SEC }));
    const state = await sm.state(U1, null, null);
    assert.equal(state.items[0]?.md?.ctime, T0 + 60 * SEC);
  });

  test('case 4: a duplicate creation is ignored, even with other content', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x'));
    clock.advance(SEC);
    await sm.consumeMessage(C(M(1), 'b', 'y'));
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M1']);
    assert.equal(state.items[0]?.item?.category, 'a');
    assert.equal(text(state.items[0]?.item?.body), 'x');
    assert.equal(state.items[0]?.md?.ctime, T0);
    assert.deepEqual(await sinceIDs(sm, T0), ['M1']);
  });

  test('case 5: a dismissal by ID hides the item', async (sm, clock) => {
    await sm.consumeMessage(C(M(1)));
    clock.advance(SEC);
    await sm.consumeMessage(X(M(2), [M(1)]));
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 6: dismissing an unknown ID is ignored and leaves no tombstone', async (sm) => {
    await sm.consumeMessage(C(M(1)));
    await sm.consumeMessage(X(M(2), [M(9)]));
    assert.deepEqual(await stateIDs(sm), ['M1']);
    await sm.consumeMessage(C(M(9)));
    assert.deepEqual(await stateIDs(sm), ['M1', 'M9']);
  });

  test('case 7: a partial ID list dismisses the known IDs', async (sm) => {
    await consumeAll(sm, C(M(1)), C(M(2)), X(M(3), [M(1), M(9)]));
    assert.deepEqual(await stateIDs(sm), ['M2']);
  });

  test('case 8: a dismissal by ID ignores devices', async (sm) => {
    await consumeAll(sm, C(M(1), 'a', 'x', { dev: D1 }), X(M(2), [M(1)]));
    assert.deepEqual(await stateIDs(sm, U1, D1), []);
    assert.deepEqual(await stateIDs(sm, U1, null), []);
  });

  test('case 9: an absolute expiry is inclusive and exported', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { time: T0 + 3000 } }));
    clock.set(T0 + 2999);
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M1']);
    assert.deepEqual(state.items[0]?.item?.dtime, { time: T0 + 3000, offset: 0 });
    clock.set(T0 + 3000);
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 10: an offset expiry counts from ctime and exports as {0,0}', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { offset: 3000 } }));
    clock.set(T0 + 2999);
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M1']);
    assert.deepEqual(state.items[0]?.item?.dtime, { time: 0, offset: 0 });
    clock.set(T0 + 3000);
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 10b: an offset expiry counts from an explicit ctime, not from now', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 - 2000, dtime: { offset: 3000 } }));
    clock.set(T0 + 999);
    assert.deepEqual(await stateIDs(sm), ['M1']);
    clock.set(T0 + 1000);
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 10c: when dtime has both parts, the absolute time wins', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { time: T0 + 5000, offset: 1000 } }));
    clock.set(T0 + 4999);
    assert.deepEqual(await stateIDs(sm), ['M1']);
    clock.set(T0 + 5000);
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 11: an item created already expired is consumed but never shown', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0, dtime: { time: T0 - 1 } }));
    assert.deepEqual(await stateIDs(sm), []);
    assert.deepEqual(await sinceIDs(sm, 0), []);
    assert.equal(await sm.latestCTime(U1, null), T0);
  });

  test('case 12: a range matches its category exactly, not as a prefix', async (sm, clock) => {
    await consumeAll(sm, C(M(1), 'foo'), C(M(2), 'foobar'), C(M(3), 'foo.x'));
    clock.advance(SEC);
    await sm.consumeMessage(R(M(4), [{ category: 'foo', endTime: { time: T0 + SEC } }]));
    assert.deepEqual(await stateIDs(sm), ['M2', 'M3']);
  });

  test('case 13: a range endTime is inclusive', async (sm) => {
    await consumeAll(sm, C(M(1), 'c', 'x', { ctime: T0 }), C(M(2), 'c', 'x', { ctime: T0 + 1 }));
    await sm.consumeMessage(R(M(3), [{ category: 'c', endTime: { time: T0 } }]));
    assert.deepEqual(await stateIDs(sm), ['M2']);
  });

  test('case 14: a zero endTime means the dismissal time', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'c'));
    clock.advance(SEC);
    await sm.consumeMessage(C(M(2), 'c'));
    clock.advance(SEC);
    await sm.consumeMessage(R(M(3), [{ category: 'c' }]));
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 14b: a zero endTime with an explicit ctime uses that ctime', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'c'));
    clock.advance(SEC);
    await sm.consumeMessage(C(M(2), 'c'));
    clock.advance(SEC);
    await sm.consumeMessage(R(M(3), [{ category: 'c' }], { ctime: T0 + 500 }));
    assert.deepEqual(await stateIDs(sm), ['M2']);
  });

  for (const [offset, expected] of [
    [-1500, []],
    [-2500, ['M2']],
  ] as const) {
    test(`case 15: an offset endTime (${offset}) counts from the dismissal time`, async (sm, clock) => {
      await sm.consumeMessage(C(M(1), 'c'));
      clock.set(T0 + 3000);
      await sm.consumeMessage(C(M(2), 'c'));
      clock.set(T0 + 5000);
      await sm.consumeMessage(R(M(3), [{ category: 'c', endTime: { offset } }]));
      assert.deepEqual(await stateIDs(sm), expected);
    });
  }

  test('case 16: UpdateCategory replaces a category and skips its own new item', async (sm, clock) => {
    await consumeAll(sm, C(M(1), 'cat'), C(M(2), 'cat'), C(M(4), 'other'));
    clock.advance(SEC);
    await sm.consumeMessage(
      CX(M(3), 'cat', 'new', { ranges: [{ category: 'cat', skip: [M(3)] }] }),
    );
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M4', 'M3']);
    assert.deepEqual(bodies(state, 'cat'), ['new']);
  });

  test('case 17: skipMsgIDs apply per range', async (sm) => {
    await sm.consumeMessage(C(M(1), 'c'));
    await sm.consumeMessage(R(M(2), [{ category: 'c', skip: [M(1)] }, { category: 'c' }]));
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 17b: a skipped item stays when no other range matches it', async (sm) => {
    await consumeAll(sm, C(M(1), 'c'), C(M(2), 'c'), C(M(3), 'd'));
    await sm.consumeMessage(R(M(4), [{ category: 'c', skip: [M(1), M(3)] }]));
    assert.deepEqual(await stateIDs(sm), ['M1', 'M3']);
  });

  test('case 18: a creation plus a matching range without skip dismisses itself', async (sm) => {
    await sm.consumeMessage(CX(M(2), 'c', 'x', { ranges: [{ category: 'c' }] }));
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('case 19: UpdateItem replaces an item and replays as one message', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'v1'));
    clock.advance(SEC);
    await sm.consumeMessage(CX(M(2), 'a', 'v2', { ids: [M(1)] }));
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M2']);
    assert.deepEqual(bodies(state), ['v2']);
    const since = await sm.inBandMessagesSince(U1, null, 0);
    assert.deepEqual(since.map(ibmID), ['M2']);
    const update = since[0]?.stateUpdate;
    assert.equal(text(update?.creation?.body), 'v2');
    assert.deepEqual(update?.dismissal?.msgIDs.map(idName), ['M1']);
  });

  test('case 20: a message that creates and dismisses the same ID leaves nothing', async (sm) => {
    await sm.consumeMessage(CX(M(1), 'a', 'x', { ids: [M(1)] }));
    assert.deepEqual(await stateIDs(sm), []);
  });
}

function queryCases(test: CaseRunner): void {
  test('case 21: a state at a past time leaves out later creations', async (sm, clock) => {
    await sm.consumeMessage(C(M(1)));
    clock.set(T0 + 10 * SEC);
    await sm.consumeMessage(C(M(2)));
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + 5 * SEC, offset: 0 }), ['M1']);
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + 10 * SEC, offset: 0 }), [
      'M1',
      'M2',
    ]);
    // An offset query time counts from now.
    assert.deepEqual(await stateIDs(sm, U1, null, { time: 0, offset: -5 * SEC }), ['M1']);
  });

  test('case 22: a historical state hides items dismissed later (memory engine rule)', async (sm, clock) => {
    await sm.consumeMessage(C(M(1)));
    clock.set(T0 + 10 * SEC);
    await sm.consumeMessage(X(M(2), [M(1)]));
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + 5 * SEC, offset: 0 }), []);
  });

  test('case 22b: a future ctime shows with t=null but not with the zero TimeOrOffset', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 + 5 * SEC }));
    assert.deepEqual(await stateIDs(sm, U1, null, null), ['M1']);
    assert.deepEqual(await stateIDs(sm, U1, null, { time: 0, offset: 0 }), []);
  });

  test('case 22c: a state at a past time still shows an item that expires later', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { time: T0 + 2 * SEC } }));
    clock.set(T0 + 5 * SEC);
    assert.deepEqual(await stateIDs(sm), []);
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + SEC, offset: 0 }), ['M1']);
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + 2 * SEC, offset: 0 }), []);
  });

  test('case 23: the device filter keeps global items for every device', async (sm) => {
    await consumeAll(sm, C(M(1), 'a', 'x', { dev: D1 }), C(M(2), 'a', 'x', { dev: D2 }), C(M(3)));
    assert.deepEqual(await stateIDs(sm, U1, D1), ['M1', 'M3']);
    assert.deepEqual(await stateIDs(sm, U1, D2), ['M2', 'M3']);
    assert.deepEqual(await stateIDs(sm, U1, null), ['M1', 'M2', 'M3']);
    const state = await sm.state(U1, D1, null);
    assert.deepEqual(
      state.items.map((i) => i.md?.deviceID ?? null),
      [D1, null],
    );
  });

  test('case 24: the state is sorted by ctime, then msgID bytes', async (sm) => {
    await consumeAll(sm, C(M(3), 'a', 'x', { ctime: T0 }), C(M(1), 'a', 'x', { ctime: T0 }));
    await sm.consumeMessage(C(M(2), 'a', 'x', { ctime: T0 }));
    assert.deepEqual(await stateIDs(sm), ['M1', 'M2', 'M3']);
    const o = { uid: U2 };
    await sm.consumeMessage(C(M(3), 'a', 'x', { ...o, ctime: T0 }));
    await sm.consumeMessage(C(M(1), 'a', 'x', { ...o, ctime: T0 + 1 }));
    await sm.consumeMessage(C(M(2), 'a', 'x', { ...o, ctime: T0 + 2 }));
    assert.deepEqual(await stateIDs(sm, U2), ['M3', 'M1', 'M2']);
  });

  test('case 25: stateByCategoryPrefix is a plain prefix, "" matching all', async (sm, clock) => {
    await consumeAll(sm, C(M(1), 'f'), C(M(2), 'foo', 'x', { dev: D2 }), C(M(3), 'bar'));
    clock.advance(SEC);
    await sm.consumeMessage(C(M(4), 'fa'));
    const prefixed = await sm.stateByCategoryPrefix(U1, null, null, 'f');
    assert.deepEqual(itemIDs(prefixed), ['M1', 'M2', 'M4']);
    const full = await sm.state(U1, null, null);
    assert.equal(full.items.filter((i) => i.item?.category === 'f').length, 1);
    assert.equal((await sm.stateByCategoryPrefix(U1, null, null, '')).items.length, 4);
    // The prefix query honours the device and the query time as State does.
    assert.deepEqual(itemIDs(await sm.stateByCategoryPrefix(U1, D1, null, 'f')), ['M1', 'M4']);
    const past = { time: T0, offset: 0 };
    assert.deepEqual(itemIDs(await sm.stateByCategoryPrefix(U1, null, past, 'f')), ['M1', 'M2']);
    // "%" and "_" are ordinary characters, not SQL wildcards.
    assert.deepEqual(itemIDs(await sm.stateByCategoryPrefix(U1, null, null, '_')), []);
    assert.deepEqual(itemIDs(await sm.stateByCategoryPrefix(U1, null, null, '%')), []);
  });

  test('case 26: users are isolated', async (sm) => {
    await sm.consumeMessage(C(M(1)));
    await sm.consumeMessage(X(M(2), [M(1)], { uid: U2 }));
    assert.deepEqual(await stateIDs(sm, U1), ['M1']);
    assert.deepEqual(await stateIDs(sm, U2), []);
    await sm.consumeMessage(C(M(1), 'b', 'u2', { uid: U2 }));
    await sm.consumeMessage(R(M(3), [{ category: 'a' }], { uid: U2 }));
    assert.deepEqual(await stateIDs(sm, U1), ['M1']);
    assert.deepEqual(bodies(await sm.state(U2, null, null)), ['u2']);
    assert.deepEqual(await sinceIDs(sm, 0, U1), ['M1']);
    // U2's M2 targeted an ID that U2 only created later, so FilterFutureDismissals elides it.
    assert.deepEqual(await sinceIDs(sm, 0, U2), ['M1', 'M3']);
  });

  test('case 27: golden scenario, all devices', async (sm, clock) => {
    const [m1, m2, m3, m4, m5, m6, d1, d2] = [1, 2, 3, 4, 5, 6, 11, 12].map(M) as MsgID[];
    const t0 = T0;
    await sm.consumeMessage(C(m1!, 'foos', 'f1'));
    clock.advance(SEC);
    await sm.consumeMessage(X(d1!, [m1!]));
    assert.equal((await sm.state(U1, null, null)).items.length, 0);
    const tm3 = clock.now();
    clock.advance(SEC);
    await sm.consumeMessage(C(m2!, 'foos', 'f2'));
    await sm.consumeMessage(C(m3!, 'foos', 'f3', { dtime: { time: clock.now() + 3 * SEC } }));
    await sm.consumeMessage(C(m4!, 'bars', 'b1'));
    let state = await sm.state(U1, null, null);
    assert.equal(state.items.length, 3);
    assert.equal(bodies(state, 'foos').length, 2);
    assert.equal(bodies(state, 'bars').length, 1);
    const tm4 = clock.now();
    clock.advance(4 * SEC);
    state = await sm.state(U1, null, null);
    assert.deepEqual(bodies(state, 'foos'), ['f2']);
    assert.deepEqual(bodies(state, 'bars'), ['b1']);
    const tm5 = clock.now();
    assert.equal((await sm.state(U1, null, { time: tm3, offset: 0 })).items.length, 0);
    assert.equal((await sm.state(U1, null, { time: tm4, offset: 0 })).items.length, 3);
    await sm.consumeMessage(C(m5!, 'bars', 'b3'));
    clock.advance(4 * SEC);
    await sm.consumeMessage(C(m6!, 'bars', 'b4'));
    clock.advance(SEC);
    await sm.consumeMessage(R(d2!, [{ category: 'bars', endTime: { time: tm5 } }]));
    state = await sm.state(U1, null, null);
    assert.deepEqual(bodies(state, 'foos'), ['f2']);
    assert.deepEqual(bodies(state, 'bars'), ['b4']);
    const since = await sm.inBandMessagesSince(U1, null, t0);
    assert.deepEqual(since.map(ibmID), ['M11', 'M2', 'M6', 'M12']);
    assert.deepEqual(since[0]?.stateUpdate?.dismissal?.msgIDs.map(idName), ['M1']);
    assert.equal(text(since[1]?.stateUpdate?.creation?.body), 'f2');
    assert.equal(text(since[2]?.stateUpdate?.creation?.body), 'b4');
    const r = since[3]?.stateUpdate?.dismissal?.ranges;
    assert.equal(r?.length, 1);
    assert.equal(r?.[0]?.category, 'bars');
    assert.equal(r?.[0]?.endTime.time, tm5);
    assert.equal((await sm.stateByCategoryPrefix(U1, null, null, 'f')).items.length, 1);
  });

  test('case 28: golden scenario, per device', async (sm, clock) => {
    const view = async (d: DeviceID | null) => bodies(await sm.state(U1, d, null));
    await sm.consumeMessage(C(M(1), 'foos', 'f1', { dev: D1 }));
    assert.deepEqual(await view(D1), ['f1']);
    await sm.consumeMessage(C(M(2), 'foos', 'f2', { dev: D2 }));
    assert.equal((await view(null)).length, 2);
    assert.deepEqual(await view(D1), ['f1']);
    assert.deepEqual(await view(D2), ['f2']);
    await sm.consumeMessage(X(M(9), [M(1)]));
    assert.equal((await view(null)).length, 1);
    assert.deepEqual(await view(D1), []);
    assert.deepEqual(await view(D2), ['f2']);
    clock.advance(SEC);
    await sm.consumeMessage(C(M(3), 'foos', 'f3'));
    assert.equal((await view(null)).length, 2);
    assert.deepEqual(await view(D1), ['f3']);
    assert.deepEqual(await view(D2), ['f2', 'f3']);
  });
}

function sinceCases(test: CaseRunner): void {
  const T1 = T0;
  const T2 = T0 + SEC;
  const T3 = T0 + 2 * SEC;
  const T4 = T0 + 3 * SEC;
  const twoCreations: [Time, Message][] = [
    [T1, C(M(1), 'a', 'x', { ctime: T1 })],
    [T2, C(M(2), 'a', 'x', { ctime: T2 })],
  ];

  test('case 29: since is inclusive', async (sm) => {
    await sm.consumeMessage(C(M(1)));
    assert.deepEqual(await sinceIDs(sm, T0), ['M1']);
    assert.deepEqual(await sinceIDs(sm, T0 + 1), []);
    assert.deepEqual(await sinceIDs(sm, T0 - 1), ['M1']);
  });

  test('case 30: since omits dismissed creations but keeps the dismissal', async (sm, clock) => {
    await consumeAll(sm, C(M(1)), C(M(2)));
    clock.advance(SEC);
    await sm.consumeMessage(X(M(3), [M(1)]));
    assert.deepEqual(await sinceIDs(sm, T0), ['M2', 'M3']);
  });

  test('case 30b: since omits creations that have expired by now', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { offset: SEC } }));
    await sm.consumeMessage(C(M(2)));
    assert.deepEqual(await sinceIDs(sm, 0), ['M1', 'M2']);
    clock.advance(SEC);
    assert.deepEqual(await sinceIDs(sm, 0), ['M2']);
  });

  test('case 31: a dismissal of an item created after since is filtered', async (sm, clock) => {
    await consumeAt(sm, clock, ...twoCreations, [T3, X(M(3), [M(2)], { ctime: T3 })]);
    assert.deepEqual(await sinceIDs(sm, T1), ['M1']);
  });

  test('case 32: a dismissal of an item created before since is kept', async (sm, clock) => {
    await consumeAt(sm, clock, ...twoCreations, [T3, X(M(3), [M(1)], { ctime: T3 })]);
    assert.deepEqual(await sinceIDs(sm, T1), ['M2', 'M3']);
  });

  test('case 33: a dismissal whose target is unknown is kept', async (sm, clock) => {
    clock.set(T2);
    await sm.consumeMessage(X(M(3), [M(9)]));
    assert.deepEqual(await sinceIDs(sm, T0), ['M3']);
  });

  test('case 33b: one old or unknown target is enough to keep a dismissal', async (sm, clock) => {
    await consumeAt(sm, clock, ...twoCreations, [T3, C(M(5))]);
    await consumeAll(sm, X(M(3), [M(5), M(9)]), X(M(4), [M(5), M(1)]), X(M(6), [M(5)]));
    // M3: M9 is unknown. M4: M1 is at since (or, later, older than since and so absent).
    // M6: its only target was created after since.
    assert.deepEqual(await sinceIDs(sm, T1), ['M2', 'M3', 'M4']);
    assert.deepEqual(await sinceIDs(sm, T2), ['M2', 'M3', 'M4']);
  });

  test('case 34: a fresh sync elides a dismissal of an item it never returns', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T1 }));
    clock.set(T2);
    await sm.consumeMessage(X(M(2), [M(1)], { ctime: T2 }));
    assert.deepEqual(await sinceIDs(sm, 0), []);
  });

  test('case 35: a range dismissal is always kept', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'c', 'x', { ctime: T1 }));
    clock.set(T2);
    await sm.consumeMessage(R(M(2), [{ category: 'c', endTime: { time: T1 } }]));
    assert.deepEqual(await stateIDs(sm), []);
    assert.deepEqual(await sinceIDs(sm, T1), ['M2']);
    assert.deepEqual(await sinceIDs(sm, 0), ['M2']);
  });

  test('case 36: since filters stateUpdates by device', async (sm) => {
    await consumeAll(sm, C(M(1), 'a', 'x', { dev: D1 }), C(M(2), 'a', 'x', { dev: D2 }), C(M(3)));
    assert.deepEqual(await sinceIDs(sm, 0, U1, D1), ['M1', 'M3']);
    assert.deepEqual(await sinceIDs(sm, 0, U1, null), ['M1', 'M2', 'M3']);
  });

  test('case 36b: a stateSync changes nothing, is logged, and is never filtered by device', async (sm, clock) => {
    await sm.consumeMessage(C(M(1)));
    clock.advance(SEC);
    const sync: Message = {
      ibm: { stateSync: { md: { ...C(M(2)).ibm!.stateUpdate!.md, deviceID: D2 } } },
    };
    const logged = await sm.consumeMessage(sync);
    assert.deepEqual(logged.ibm?.stateSync?.md.msgID, M(2));
    assert.equal(logged.ibm?.stateUpdate, undefined);
    assert.deepEqual(await stateIDs(sm), ['M1']);
    assert.deepEqual(await sinceIDs(sm, T0 + SEC, U1, D1), ['M2']);
    assert.deepEqual(await sinceIDs(sm, 0), ['M1', 'M2']);
    assert.equal(await sm.latestCTime(U1, null), T0);
  });

  test('case 37: latestCTime is the ctime of the last creation the device sees', async (sm, clock) => {
    assert.equal(await sm.latestCTime(U1, null), null);
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T1 }));
    clock.set(T2);
    await sm.consumeMessage(C(M(2), 'a', 'x', { ctime: T2 }));
    assert.equal(await sm.latestCTime(U1, null), T2);
    clock.set(T3);
    await sm.consumeMessage(X(M(3), [M(2)]));
    assert.equal(await sm.latestCTime(U1, null), T2);
    clock.set(T4);
    await sm.consumeMessage(C(M(4), 'a', 'x', { dev: D2, ctime: T4 }));
    assert.equal(await sm.latestCTime(U1, D1), T2);
    assert.equal(await sm.latestCTime(U1, D2), T4);
    assert.equal(await sm.latestCTime(U1, null), T4);
    assert.equal(await sm.latestCTime(U2, null), null);
  });

  test('since orders by logged ctime, ties in arrival order', async (sm, clock) => {
    await consumeAll(
      sm,
      C(M(3), 'a', 'x', { ctime: T2 }),
      C(M(1), 'a', 'x', { ctime: T2 }),
      C(M(2), 'a', 'x', { ctime: T2 }),
    );
    assert.deepEqual(await sinceIDs(sm, 0), ['M3', 'M1', 'M2']);
    assert.deepEqual(await stateIDs(sm), ['M1', 'M2', 'M3']);
    // An explicit earlier ctime sorts before messages that arrived first.
    clock.set(T3);
    await consumeAll(sm, C(M(5)), C(M(4), 'a', 'x', { ctime: T1 }), X(M(6), [M(9)], { ctime: T2 }));
    assert.deepEqual(await sinceIDs(sm, 0), ['M4', 'M3', 'M1', 'M2', 'M6', 'M5']);
    assert.deepEqual(await sinceIDs(sm, T2), ['M3', 'M1', 'M2', 'M6', 'M5']);
  });

  test('since returns each message as logged, with its stamped ctime', async (sm, clock) => {
    await sm.consumeMessage(C(M(1)));
    clock.advance(SEC);
    await sm.consumeMessage(X(M(2), [M(9)]));
    const since = await sm.inBandMessagesSince(U1, null, 0);
    assert.deepEqual(
      since.map((m) => m.stateUpdate?.md.ctime),
      [T0, T0 + SEC],
    );
    assert.deepEqual(since[0], C(M(1), 'a', 'x', { ctime: T0 }).ibm);
    assert.deepEqual(since[1], X(M(2), [M(9)], { ctime: T0 + SEC }).ibm);
  });
}

function hashCases(test: CaseRunner): void {
  const EMPTY_HASH = 'fef93df7461174ac900f63db8cc4df8571034a4e341ff18001d921bee0fe8839';
  const ONE_ITEM_BYTES =
    '81a56974656d739182a46974656d84a4626f6479c4026869a863617465676f7279a3636174a56474696d6582a66f666673657400a474696d6500ab72656d696e6454696d6573c0a26d6485a56374696d65cf0000015d3ef79800a86465766963654944c0ad696e42616e644d73675479706501a56d73674944c41002020202020202020202020202020202a3756964c41001010101010101010101010101010101';
  const ONE_ITEM_HASH = '68445a7b8447e7cf7fc0c79081ea7b9c62a61f7d613aed60cb781f16f09494c6';

  test('case 1: the empty state encodes as 81 a5 "items" 90 and hashes to fef93df7…', async (sm) => {
    const state = await sm.state(U1, null, null);
    assert.equal(hex(encodeState(state)), '81a56974656d7390');
    assert.equal(hex(stateHash(state)), EMPTY_HASH);
  });

  test('case 38: the one-item state vector has the exact bytes and hash 68445a7b…', async (sm) => {
    await sm.consumeMessage(C(M(2), 'cat', 'hi', { ctime: 1_500_000_000_000 }));
    const state = await sm.state(U1, null, null);
    assert.equal(hex(encodeState(state)), ONE_ITEM_BYTES);
    assert.equal(hex(stateHash(state)), ONE_ITEM_HASH);
  });

  test('case 38: the hash does not depend on insertion order', async (sm) => {
    const msgs = [
      C(M(2), 'b', 'two', { ctime: T0 }),
      C(M(1), 'a', 'one', { ctime: T0 }),
      C(M(3), 'a', 'three', { ctime: T0 - 1, dev: D1, dtime: { time: T0 + 9 * SEC } }),
    ];
    await consumeAll(sm, ...msgs);
    const first = hex(stateHash(await sm.state(U1, null, null)));
    await sm.clear();
    assert.deepEqual(await stateIDs(sm), []);
    await consumeAll(sm, ...[...msgs].reverse());
    assert.equal(hex(stateHash(await sm.state(U1, null, null))), first);
    assert.notEqual(first, EMPTY_HASH);
  });
}

function replayCases(test: CaseRunner): void {
  test('consumeMessage returns the logged message with the stamped ctime', async (sm) => {
    const logged = await sm.consumeMessage(C(M(1), 'a', 'x'));
    assert.deepEqual(logged, C(M(1), 'a', 'x', { ctime: T0 }));
  });

  test('a duplicate msgID returns the first logged message', async (sm, clock) => {
    const first = await sm.consumeMessage(C(M(1), 'a', 'x'));
    clock.advance(SEC);
    assert.deepEqual(await sm.consumeMessage(C(M(1), 'b', 'y')), first);
    assert.deepEqual(await sm.consumeMessage(first), first);
    assert.deepEqual(await sinceIDs(sm, 0), ['M1']);
  });

  test('a duplicate msgID still applies its dismissal but is not logged again', async (sm, clock) => {
    await consumeAll(sm, C(M(1), 'a'), C(M(2), 'b'));
    clock.advance(SEC);
    const answer = await sm.consumeMessage(CX(M(1), 'c', 'z', { ids: [M(2)] }));
    assert.deepEqual(answer, C(M(1), 'a', 'x', { ctime: T0 }));
    const state = await sm.state(U1, null, null);
    assert.deepEqual(itemIDs(state), ['M1']);
    assert.equal(state.items[0]?.item?.category, 'a');
    assert.deepEqual(await sinceIDs(sm, 0), ['M1']);
  });

  test('a creation reusing the msgID of a logged dismissal is ignored', async (sm, clock) => {
    await sm.consumeMessage(X(M(5), [M(9)]));
    clock.advance(SEC);
    const answer = await sm.consumeMessage(C(M(5), 'a', 'x'));
    assert.deepEqual(answer, X(M(5), [M(9)], { ctime: T0 }));
    assert.deepEqual(await stateIDs(sm), []);
    assert.deepEqual(await sinceIDs(sm, 0), ['M5']);
    assert.equal(await sm.latestCTime(U1, null), null);
  });

  test('replaying a logged dismissal by ID changes nothing', async (sm, clock) => {
    await consumeAll(sm, C(M(1)), C(M(2)));
    clock.advance(SEC);
    const logged = await sm.consumeMessage(X(M(3), [M(1)]));
    clock.advance(SEC);
    assert.deepEqual(await sm.consumeMessage(logged), logged);
    assert.deepEqual(await stateIDs(sm), ['M2']);
    assert.deepEqual(await sinceIDs(sm, T0), ['M2', 'M3']);
  });

  test('replaying a logged range dismissal uses its stamped time, sparing newer items', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'c'));
    clock.advance(SEC);
    const logged = await sm.consumeMessage(R(M(2), [{ category: 'c' }]));
    clock.advance(SEC);
    await sm.consumeMessage(C(M(3), 'c'));
    clock.advance(SEC);
    assert.deepEqual(await sm.consumeMessage(logged), logged);
    assert.deepEqual(await stateIDs(sm), ['M3']);
    assert.deepEqual(await sinceIDs(sm, 0), ['M2', 'M3']);
  });

  test('an out-of-band message changes nothing and comes back unchanged', async (sm) => {
    await sm.consumeMessage(C(M(1)));
    const oobm: Message = { oobm: { uid: U1, system: 'sys', body: utf8('b') } };
    assert.deepEqual(await sm.consumeMessage(oobm), {
      oobm: { uid: U1, system: 'sys', body: utf8('b') },
    });
    assert.deepEqual(await stateIDs(sm), ['M1']);
    assert.deepEqual(await sinceIDs(sm, 0), ['M1']);
  });
}

function timeCases(test: CaseRunner): void {
  test('ctimes, expiries and query times keep every millisecond', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 + 1 }));
    await sm.consumeMessage(C(M(2), 'a', 'x', { ctime: T0 + 999, dtime: { time: T0 + 1001 } }));
    clock.set(T0 + 1000);
    const state = await sm.state(U1, null, null);
    assert.deepEqual(
      state.items.map((i) => i.md?.ctime),
      [T0 + 1, T0 + 999],
    );
    assert.equal(state.items[1]?.item?.dtime.time, T0 + 1001);
    assert.deepEqual(await stateIDs(sm, U1, null, { time: T0 + 998, offset: 0 }), ['M1']);
    assert.deepEqual(await sinceIDs(sm, T0 + 2), ['M2']);
    assert.deepEqual(await sinceIDs(sm, T0 + 999), ['M2']);
    assert.deepEqual(await sinceIDs(sm, T0 + 1000), []);
    clock.set(T0 + 1001);
    assert.deepEqual(await stateIDs(sm), ['M1']);
    assert.equal(await sm.latestCTime(U1, null), T0 + 999);
  });

  test('a range endTime compares at millisecond precision', async (sm) => {
    await consumeAll(
      sm,
      C(M(1), 'c', 'x', { ctime: T0 + 998 }),
      C(M(2), 'c', 'x', { ctime: T0 + 999 }),
      C(M(3), 'c', 'x', { ctime: T0 + 1000 }),
    );
    await sm.consumeMessage(R(M(4), [{ category: 'c', endTime: { time: T0 + 999 } }]));
    assert.deepEqual(await stateIDs(sm), ['M3']);
  });
}

/** Reminders as (msgID name, seqno, remindTime) triples, and the flag. */
async function takeReminders(sm: StateMachine, max: number) {
  const set = await sm.reminders(max);
  return {
    got: set.reminders.map((r) => [idName(r.item.md!.msgID), r.seqno, r.remindTime] as const),
    more: set.moreRemindersReady,
  };
}

function reminderCases(test: CaseRunner): void {
  test('case 60: a reminder is due at its time, locked when handed out, and deletable', async (sm, clock) => {
    const L = sm.reminderLockDurationMs;
    assert.ok(L > 0, 'the lifecycle needs a positive lock duration');
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind: [{ time: T0 + 5000 }] }));
    clock.set(T0 + 1000);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
    clock.set(T0 + 6000);
    const set = await sm.reminders(0);
    assert.deepEqual(set, {
      reminders: [
        {
          item: (await sm.state(U1, null, null)).items[0],
          seqno: 0,
          remindTime: T0 + 5000,
        },
      ],
      moreRemindersReady: false,
    });
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
    clock.set(T0 + 6000 + L - 1);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
    clock.set(T0 + 6000 + L);
    assert.deepEqual(await takeReminders(sm, 0), { got: [['M1', 0, T0 + 5000]], more: false });
    await sm.deleteReminder({ uid: U1, msgID: M(1), seqno: 0 });
    clock.advance(L + 1000);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
  });

  test('case 61: reminders of dismissed items are suppressed', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind: [{ time: T0 + 5000 }] }));
    clock.set(T0 + 1000);
    await sm.consumeMessage(X(M(2), [M(1)]));
    clock.set(T0 + 6000);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
    clock.advance(2 * sm.reminderLockDurationMs);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
  });

  test('reminders of expired items are suppressed; a future expiry does not stop them', async (sm, clock) => {
    const remind = [{ time: T0 + 1000 }, { time: T0 + 3000 }];
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { time: T0 + 2000 }, remind }));
    clock.set(T0 + 1500);
    assert.deepEqual(await takeReminders(sm, 0), { got: [['M1', 0, T0 + 1000]], more: false });
    clock.set(T0 + 3500 + sm.reminderLockDurationMs);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
  });

  test('max limits the batch, oldest first across users, and moreRemindersReady tells', async (sm, clock) => {
    await consumeAll(
      sm,
      C(M(3), 'a', 'x', { remind: [{ time: T0 + 300 }] }),
      C(M(1), 'a', 'x', { remind: [{ time: T0 + 100 }] }),
      C(M(4), 'a', 'x', { uid: U2, remind: [{ time: T0 + 150 }] }),
      C(M(2), 'a', 'x', { remind: [{ time: T0 + 200 }] }),
      C(M(5), 'a', 'x', { remind: [{ time: T0 + 2000 }] }),
    );
    clock.set(T0 + 1000);
    assert.deepEqual(await takeReminders(sm, 2), {
      got: [
        ['M1', 0, T0 + 100],
        ['M4', 0, T0 + 150],
      ],
      more: true,
    });
    assert.deepEqual(await takeReminders(sm, 2), {
      got: [
        ['M2', 0, T0 + 200],
        ['M3', 0, T0 + 300],
      ],
      more: false,
    });
    assert.deepEqual(await takeReminders(sm, 2), { got: [], more: false });
  });

  test('max 0 or above 1000 means 1000; a negative max is rejected', async (sm, clock) => {
    const remind = Array.from({ length: 1001 }, (_, i) => ({ time: T0 + 1 + i }));
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind }));
    clock.set(T0 + 2000);
    const first = await sm.reminders(0);
    assert.equal(first.reminders.length, 1000);
    assert.equal(first.moreRemindersReady, true);
    assert.deepEqual(
      first.reminders.map((r) => r.seqno),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.deepEqual(await takeReminders(sm, 5000), {
      got: [['M1', 1000, T0 + 1001]],
      more: false,
    });
    await assert.rejects(sm.reminders(-1), { code: 'GREGOR_ERR_INPUT_INVALID' });
  });

  test('offset remind times count from the item ctime; unset entries keep their seqno', async (sm, clock) => {
    const remind = [{}, { offset: 2000 }];
    await sm.consumeMessage(C(M(1), 'a', 'x', { ctime: T0 - 1000, remind }));
    clock.set(T0 + 999);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
    clock.set(T0 + 1000);
    assert.deepEqual(await takeReminders(sm, 0), { got: [['M1', 1, T0 + 1000]], more: false });
  });

  test('deleteReminder removes exactly one reminder; unknown IDs are not an error', async (sm, clock) => {
    const remind = [{ time: T0 + 100 }, { time: T0 + 200 }];
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind }));
    await sm.deleteReminder({ uid: U1, msgID: M(1), seqno: 0 });
    await sm.deleteReminder({ uid: U1, msgID: M(9), seqno: 0 });
    await sm.deleteReminder({ uid: U2, msgID: M(1), seqno: 1 });
    clock.set(T0 + 1000);
    assert.deepEqual(await takeReminders(sm, 0), { got: [['M1', 1, T0 + 200]], more: false });
  });

  test('a duplicate creation schedules no reminders; clear drops them all', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind: [{ time: T0 + 100 }] }));
    await sm.consumeMessage(C(M(1), 'a', 'x', { remind: [{ time: T0 + 50 }, { time: T0 + 60 }] }));
    await sm.consumeMessage(C(M(2), 'a', 'x', { remind: [{ time: T0 + 70 }] }));
    clock.set(T0 + 1000);
    assert.deepEqual(await takeReminders(sm, 1), { got: [['M2', 0, T0 + 70]], more: true });
    await sm.clear();
    clock.advance(2 * sm.reminderLockDurationMs);
    assert.deepEqual(await takeReminders(sm, 0), { got: [], more: false });
  });
}

/** The per-user quota (quota-rules.ts) and the bound on one answer (result-budget.ts). */
function quotaCases(test: CaseRunner): void {
  const quota = { quota: { maxItems: 3, maxBytes: 10 } };
  const refused = { code: 'GREGOR_ERR_QUOTA_EXCEEDED' };

  test('a creation past the item quota is refused and stores nothing; a dismissal makes room', async (sm) => {
    for (const n of [1, 2, 3]) await sm.consumeMessage(C(M(n)), quota);
    await assert.rejects(sm.consumeMessage(C(M(4)), quota), refused);
    assert.deepEqual(await stateIDs(sm), ['M1', 'M2', 'M3']);
    assert.deepEqual(await sinceIDs(sm, 0), ['M1', 'M2', 'M3']);
    // A dismissal is never refused, even with a creation pending and the quota full.
    await sm.consumeMessage(X(M(5), [M(1)]), quota);
    await sm.consumeMessage(C(M(4)), quota);
    assert.deepEqual(await stateIDs(sm), ['M2', 'M3', 'M4']);
    // Another user has a quota of its own.
    await sm.consumeMessage(C(M(6), 'a', 'x', { uid: U2 }), quota);
  });

  test('a creation past the byte quota is refused; bodies of dismissed items do not count', async (sm) => {
    await sm.consumeMessage(C(M(1), 'a', '123456'), quota);
    await assert.rejects(sm.consumeMessage(C(M(2), 'a', '12345'), quota), refused);
    await sm.consumeMessage(C(M(3), 'a', '1234'), quota);
    await sm.consumeMessage(R(M(4), [{ category: 'a' }]), quota);
    await sm.consumeMessage(C(M(5), 'b', '1234567890'), quota);
    assert.deepEqual(await stateIDs(sm), ['M5']);
  });

  test('expired items do not count, and a replayed stored creation is answered, not refused', async (sm, clock) => {
    await sm.consumeMessage(C(M(1), 'a', 'x', { dtime: { time: T0 + SEC } }), quota);
    await sm.consumeMessage(C(M(2)), quota);
    await sm.consumeMessage(C(M(3)), quota);
    const again = await sm.consumeMessage(C(M(3)), quota);
    assert.equal(again.ibm?.stateUpdate?.md.ctime, T0);
    await assert.rejects(sm.consumeMessage(C(M(4)), quota), refused);
    clock.advance(2 * SEC);
    await sm.consumeMessage(C(M(4)), quota);
    assert.deepEqual(await stateIDs(sm), ['M2', 'M3', 'M4']);
  });

  test('concurrent creations of one user never pass the quota together', async (sm) => {
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map((n) => sm.consumeMessage(C(M(n)), quota)),
    );
    const stored = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(stored, 3);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal(r.reason.code, 'GREGOR_ERR_QUOTA_EXCEEDED');
    }
    assert.equal((await stateIDs(sm)).length, 3);
  });

  test('consumes called without waiting apply in call order, each with its own answer', async (sm) => {
    // gregord hands a user's queued consumes over at once; each must see the ones called before it.
    const calls = [
      C(M(1), 'a', 'first'),
      C(M(2)),
      C(M(3)),
      C(M(4)), // the quota is full: refused alone
      X(M(5), [M(1)]), // dismisses M1, so it must come after it
      C(M(1), 'b', 'again'), // a duplicate of M1: answered with the first
      C(M(7)), // room again after M5
      C(M(8)), // full again: refused
    ].map((m) => sm.consume(m, quota));
    const outcomes = await Promise.allSettled(calls);
    assert.deepEqual(
      outcomes.map((o) => {
        if (o.status === 'rejected') return o.reason.code;
        return `${ibmID(o.value.message.ibm!)}${o.value.isDuplicate ? ' (duplicate)' : ''}`;
      }),
      [
        'M1',
        'M2',
        'M3',
        'GREGOR_ERR_QUOTA_EXCEEDED',
        'M5',
        'M1 (duplicate)',
        'M7',
        'GREGOR_ERR_QUOTA_EXCEEDED',
      ],
    );
    const again = outcomes[5]!;
    assert.ok(again.status === 'fulfilled');
    assert.equal(text(again.value.message.ibm?.stateUpdate?.creation?.body), 'first');
    assert.deepEqual(await stateIDs(sm), ['M2', 'M3', 'M7']);
    // The refused M4 and M8 were not logged (M1 and M5 leave the log by the sync rules).
    assert.deepEqual(await sinceIDs(sm, 0), ['M2', 'M3', 'M7']);
  });

  test('an answer past maxResultBytes is refused with GREGOR_ERR_RESULT_TOO_LARGE', async (sm, clock) => {
    const body = 'b'.repeat(1000);
    for (const n of [1, 2, 3, 4]) await sm.consumeMessage(C(M(n), 'a', body));
    const fits = { maxResultBytes: 8000 };
    const tooSmall = { maxResultBytes: 3000 };
    assert.equal((await sm.state(U1, null, null, fits)).items.length, 4);
    assert.equal((await sm.inBandMessagesSince(U1, null, 0, fits)).length, 4);
    const tooLarge = { code: 'GREGOR_ERR_RESULT_TOO_LARGE' };
    await assert.rejects(sm.state(U1, null, null, tooSmall), tooLarge);
    await assert.rejects(sm.stateByCategoryPrefix(U1, null, null, 'a', tooSmall), tooLarge);
    await assert.rejects(sm.inBandMessagesSince(U1, null, 0, tooSmall), tooLarge);
    // A bound refuses only what passes it: a since from after the first two is small enough.
    clock.advance(SEC);
    await sm.consumeMessage(C(M(5), 'a', body));
    const later = await sm.inBandMessagesSince(U1, null, T0 + SEC, tooSmall);
    assert.deepEqual(later.map(ibmID), ['M5']);
  });
}

function inputCases(test: CaseRunner): void {
  test('messages with missing parts are rejected with a typed error and store nothing', async (sm) => {
    const base = C(M(1)).ibm!.stateUpdate!;
    const bad: unknown[] = [
      {},
      { ibm: {} },
      { ibm: { stateUpdate: {} } },
      { ibm: { stateUpdate: { ...base, md: { ...base.md, msgID: new Uint8Array(0) } } } },
      { ibm: { stateUpdate: { ...base, md: { ...base.md, uid: null } } } },
      { ibm: { stateSync: { md: { ...base.md, msgID: null } } } },
      { ibm: { stateUpdate: { ...base, creation: { category: 7 } } } },
      { ibm: { stateUpdate: { md: base.md, dismissal: { msgIDs: 'M1' } } } },
    ];
    for (const m of bad) {
      await assert.rejects(sm.consumeMessage(m as Message), { code: 'GREGOR_ERR_INPUT_INVALID' });
    }
    assert.deepEqual(await stateIDs(sm), []);
    assert.deepEqual(await sinceIDs(sm, 0), []);
  });

  test('an aborted signal rejects a call before it does anything', async (sm) => {
    const opts: WaitOptions = { signal: AbortSignal.abort() };
    await assert.rejects(sm.consumeMessage(C(M(1)), opts), { code: 'GREGOR_ERR_ABORTED' });
    await assert.rejects(sm.state(U1, null, null, opts), { code: 'GREGOR_ERR_ABORTED' });
    await assert.rejects(sm.inBandMessagesSince(U1, null, 0, opts), { code: 'GREGOR_ERR_ABORTED' });
    await assert.rejects(sm.reminders(0, opts), { code: 'GREGOR_ERR_ABORTED' });
    assert.deepEqual(await stateIDs(sm), []);
  });

  test('clear forgets every user', async (sm) => {
    await consumeAll(sm, C(M(1)), C(M(2), 'a', 'x', { uid: U2 }));
    await sm.clear();
    assert.deepEqual(await stateIDs(sm, U1), []);
    assert.deepEqual(await stateIDs(sm, U2), []);
    assert.deepEqual(await sinceIDs(sm, 0, U1), []);
    assert.equal(await sm.latestCTime(U1, null), null);
    await sm.consumeMessage(C(M(1), 'b'));
    assert.deepEqual(bodies(await sm.state(U1, null, null)), ['x']);
  });

  test('close is idempotent and later calls reject with GREGOR_ERR_CLOSED', async (sm) => {
    await sm.consumeMessage(C(M(1)));
    await sm.close();
    await sm.close();
    await assert.rejects(sm.consumeMessage(C(M(2))), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(sm.state(U1, null, null), { code: 'GREGOR_ERR_CLOSED' });
  });
}

/**
 * A user with `n` items (n ≥ 1000): every 17th dismissed by ID in one message, the "ten"
 * category up to ctime T0+999 by one range. State and since must answer exactly.
 */
function largeUserCase(test: CaseRunner, n: number): void {
  test(`a large user (${n} items, hundreds dismissed) answers state and since exactly`, async (sm, clock) => {
    const category = (i: number) => (i % 10 === 0 ? 'ten' : 'other');
    for (let i = 0; i < n; i++) {
      await sm.consumeMessage(C(bigID(i), category(i), `b${i}`, { ctime: T0 + i }));
    }
    clock.set(T0 + n + SEC);
    const byID = Array.from({ length: n }, (_, i) => i).filter((i) => i % 17 === 0);
    await sm.consumeMessage(X(M(1), byID.map(bigID)));
    await sm.consumeMessage(R(M(2), [{ category: 'ten', endTime: { time: T0 + 999 } }]));
    const dismissed = (i: number) => i % 17 === 0 || (i % 10 === 0 && i <= 999);
    const visible = Array.from({ length: n }, (_, i) => i).filter((i) => !dismissed(i));
    assert.ok(n - visible.length >= 300, 'hundreds of items are dismissed');
    assert.deepEqual(
      await stateIDs(sm),
      visible.map((i) => idName(bigID(i))),
    );
    const half = Math.floor(n / 2);
    const expectedSince = visible.filter((i) => i >= half).map((i) => idName(bigID(i)));
    assert.deepEqual(await sinceIDs(sm, T0 + half), [...expectedSince, 'M1', 'M2']);
    const tens = await sm.stateByCategoryPrefix(U1, null, null, 'te');
    assert.deepEqual(
      itemIDs(tens),
      visible.filter((i) => category(i) === 'ten').map((i) => idName(bigID(i))),
    );
  });
}

/**
 * The client-only LocalState cases (39–40: local dismissals, outbox, InitState),
 * for engines that also keep a device's local state.
 */
export function runLocalStateSuite(
  name: string,
  makeEngine: (clock: FakeClock) => Promise<StateMachine & LocalState>,
): void {
  const test = caseRunner(makeEngine, 60_000);
  const names = (ids: MsgID[]) => ids.map(idName);

  describe(`LocalState conformance: ${name}`, () => {
    test('case 39: local dismissals are deduplicated and cleared by a server dismissal', async (sm) => {
      await consumeAll(sm, C(M(1)), C(M(2)));
      sm.consumeLocalDismissal(U1, M(2));
      sm.consumeLocalDismissal(U1, M(2));
      assert.deepEqual(names(sm.localDismissals(U1)), ['M2']);
      assert.deepEqual(await stateIDs(sm), ['M1', 'M2']);
      await sm.consumeMessage(X(M(3), [M(2)]));
      assert.deepEqual(names(sm.localDismissals(U1)), []);
    });

    test('local dismissals keep the newest last; init replaces; a range clears them', async (sm) => {
      await consumeAll(sm, C(M(1), 'c'), C(M(2), 'd'));
      sm.consumeLocalDismissal(U1, M(1));
      sm.consumeLocalDismissal(U1, M(2));
      sm.consumeLocalDismissal(U1, M(1));
      assert.deepEqual(names(sm.localDismissals(U1)), ['M2', 'M1']);
      assert.deepEqual(names(sm.localDismissals(U2)), []);
      await sm.consumeMessage(R(M(3), [{ category: 'c' }]));
      assert.deepEqual(names(sm.localDismissals(U1)), ['M2']);
      sm.initLocalDismissals(U1, [M(7), M(8)]);
      assert.deepEqual(names(sm.localDismissals(U1)), ['M7', 'M8']);
    });

    test('case 40: initState round-trips a state with its hash, latestCTime and since', async (sm, clock) => {
      const T1 = T0 - 10 * SEC;
      const T2 = T0 - 5 * SEC;
      const T9 = T0 + 60 * SEC;
      const source = await makeEngine(clock);
      try {
        await source.consumeMessage(C(M(1), 'a', 'one', { ctime: T1 }));
        await source.consumeMessage(C(M(2), 'b', 'two', { ctime: T2, dtime: { time: T9 } }));
        const s = await source.state(U1, null, null);
        sm.initState(s);
        const back = await sm.state(U1, null, null);
        assert.deepEqual(back, s);
        assert.equal(hex(stateHash(back)), hex(stateHash(s)));
        assert.equal(await sm.latestCTime(U1, null), T2);
        const since = await sm.inBandMessagesSince(U1, null, 0);
        assert.deepEqual(
          since,
          s.items.map((i) => ({ stateUpdate: { md: i.md!, creation: i.item! } })),
        );
      } finally {
        await source.close();
      }
    });

    test('initState adds without clearing, deduplicates by msgID and files items by uid', async (sm) => {
      await sm.consumeMessage(C(M(1), 'a', 'kept'));
      const other = (await sm.state(U1, null, null)).items[0]!;
      const u2Item = { md: { ...other.md!, uid: U2, msgID: M(5) }, item: other.item! };
      const dup = { md: other.md!, item: { ...other.item!, body: utf8('dup') } };
      const fresh = { md: { ...other.md!, msgID: M(2), ctime: 0 }, item: other.item! };
      sm.initState({ items: [dup, u2Item, fresh] });
      const state = await sm.state(U1, null, null);
      assert.deepEqual(itemIDs(state), ['M1', 'M2']);
      assert.deepEqual(bodies(state), ['kept', 'kept']);
      assert.equal(state.items[1]?.md?.ctime, T0);
      assert.deepEqual(await stateIDs(sm, U2), ['M5']);
      assert.throws(() => sm.initState({ items: [{ md: other.md! }] }), {
        code: 'GREGOR_ERR_INPUT_INVALID',
      });
    });

    test('the outbox appends, removes by msgID, keeps out-of-band messages, and inits', async (sm) => {
      const oobm: Message = { oobm: { uid: U1, system: 's', body: utf8('b') } };
      sm.consumeOutboxMessage(U1, C(M(1)));
      sm.consumeOutboxMessage(U1, oobm);
      sm.consumeOutboxMessage(U1, X(M(2), [M(1)]));
      assert.deepEqual(sm.outbox(U1), [C(M(1)), oobm, X(M(2), [M(1)])]);
      assert.deepEqual(sm.outbox(U2), []);
      sm.removeFromOutbox(U1, M(1));
      assert.deepEqual(sm.outbox(U1), [oobm, X(M(2), [M(1)])]);
      sm.initOutbox(U1, [C(M(3))]);
      assert.deepEqual(sm.outbox(U1), [C(M(3))]);
      assert.deepEqual(await stateIDs(sm), []);
    });

    test('clear drops local dismissals and the outbox too', async (sm) => {
      sm.consumeLocalDismissal(U1, M(1));
      sm.consumeOutboxMessage(U1, C(M(1)));
      await sm.clear();
      assert.deepEqual(sm.localDismissals(U1), []);
      assert.deepEqual(sm.outbox(U1), []);
    });
  });
}
