// Seeded fuzz of gregord's methods: well-framed calls of every gregor.1 method,
// and of unknown ones, with arguments of random shapes (wrong types, huge and negative integers,
// deep nesting, oversized bytes, near-valid messages for another user) from a logged-in normal
// user and from a session that never logged in. The server must answer each call or close that
// connection, never crash or hang, and another user's stored state (SQLite) must stay exactly as
// it was. Set GREGOR_FUZZ_SEED to replay; the seed is in every failure message. Bounded in count.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isGregorError } from '../../packages/client/src/errors.js';
import { METHODS, stateHash, toHex, type UID } from '../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../packages/client/src/state/index.js';
import { openSqlEngine } from '../../packages/server/src/storage/index.js';
import { prng } from '../helpers/random.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import { creation, id, startServer, T0, U1 } from '../integration/helpers/test-server.js';

const CALLS = 600;
const CALL_TIMEOUT_MS = 5000;
const U9 = id(9);
const seed = Number(process.env.GREGOR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const NAMES = [
  ...Object.values(METHODS).map((m) => m.name),
  'gregor.1.incoming.nope',
  'gregor.1.nope.ping',
  '',
];
const KEYS = [
  'm',
  'uid',
  'msg',
  'uids',
  'deviceid',
  'ctime',
  'timeOrOffset',
  'categoryPrefix',
  'session',
  'maxReminders',
  'reminderIDs',
  'sessionIDs',
  'ibm',
  'oobm',
  'stateUpdate',
  'md',
  'msgID',
  'creation',
  'dismissal',
  'category',
  'body',
  'dtime',
  'remindTimes',
  'msgIDs',
  'ranges',
  'endTime',
  'skipMsgIDs',
  'time',
  'offset',
  'system',
];

describe(`gregord under fuzzed method calls (seed ${seed})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers or closes every call, stays up, and leaves other users’ stored state intact', async () => {
    const rand = prng(seed);
    const int = (n: number) => Math.floor(rand() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
    const scalar = (): unknown =>
      pick([
        () => null,
        () => rand() < 0.5,
        () => int(1000) - 500,
        () => pick([2 ** 53, -(2 ** 53), 2 ** 63, 1.5, Number.NaN, 2 ** 32]),
        () => 'x'.repeat(int(300)),
        () => new Uint8Array(int(40)).fill(int(256)),
        () => new Uint8Array(pick([16, 70_000, 200_000])),
        () => U1,
        () => U9,
      ])();
    const value = (depth: number): unknown => {
      if (depth > 6 || rand() < 0.4) return scalar();
      if (rand() < 0.3) return Array.from({ length: int(5) }, () => value(depth + 1));
      const map: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--) map[pick(KEYS)] = value(depth + 1);
      return map;
    };
    const nearlyValid = (): unknown => {
      const m = creation(pick([U1, U9]), 100 + int(50)) as unknown as Record<string, unknown>;
      const su = (m.ibm as { stateUpdate: Record<string, unknown> }).stateUpdate;
      su[pick(['md', 'creation', 'dismissal'])] = value(2);
      return { m };
    };
    const deep = (): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < 2000; i++) v = [v];
      return { m: v };
    };

    const clock = new ManualClock(T0);
    const stateMachine = await openSqlEngine(`sqlite:${join(dir, 'fuzz.db')}`, { clock });
    const h = await startServer({ stateMachine, owns: { stateMachine: true } });
    try {
      const owner = await h.user(U1);
      for (let n = 1; n <= 5; n++) await owner.call('consumeMessage', { m: creation(U1, n) });
      const before = toHex(stateHash(await stateMachine.state(U1, null, null)));

      const open = async (asUser: boolean): Promise<TestClient> =>
        asUser ? h.user(U9 as UID) : h.client();
      const sessions = [await open(true), await open(false)];
      let answered = 0;
      let refused = 0;
      let closed = 0;
      for (let i = 0; i < CALLS; i++) {
        const which = int(2);
        let client = sessions[which]!;
        if (client.session.isClosed) {
          client = await open(which === 0);
          sessions[which] = client;
        }
        const arg = pick([value, nearlyValid, deep, () => [value(0)]])(0);
        const name = pick(NAMES);
        try {
          await client.session.call(name, arg, { timeoutMs: CALL_TIMEOUT_MS });
          answered++;
        } catch (err) {
          assert.ok(isGregorError(err), `seed ${seed}, call ${i} ${name}: untyped ${String(err)}`);
          assert.notEqual(err.code, 'GREGOR_ERR_TIMEOUT', `seed ${seed}, call ${i} ${name} hung`);
          if (err.code === 'GREGOR_ERR_CLOSED') closed++;
          else refused++;
        }
      }
      assert.ok(refused > CALLS / 2, `seed ${seed}: most calls are refused (${refused})`);
      assert.ok(answered + refused + closed === CALLS);

      assert.equal(await owner.call('ping', {}), 'pong', `seed ${seed}: the server is up`);
      const after = toHex(stateHash(await stateMachine.state(U1, null, null)));
      assert.equal(after, before, `seed ${seed}: U1's stored state changed`);
      const sync = await owner.call('sync', { uid: U1, deviceid: null, ctime: 0 });
      assert.equal(toHex(sync.hash), before);
    } finally {
      await h.close();
    }
  });
});
