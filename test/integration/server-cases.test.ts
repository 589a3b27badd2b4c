// The server cases 49–59 and 63–66 over real TCP on loopback (the reminder cases
// 60–62 are in server-reminders.test.ts).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type Message,
  makeState,
  SUPER_UID,
  stateHash,
  type TimeOrOffset,
  toHex,
} from '../../packages/client/src/protocol/index.js';
import { MemoryEngine } from '../../packages/client/src/state/index.js';
import type { Connection } from '../../packages/server/src/server/internal.js';
import { eventually } from '../helpers/eventually.js';
import { creation, type Harness, id, oob, startServer, T0, U1, U2 } from './helpers/test-server.js';

const NOW: TimeOrOffset = { time: 0, offset: 0 };
const utf8 = new TextDecoder();

function msgIDHex(m: Message): string {
  const md = m.ibm?.stateUpdate?.md;
  return md === undefined ? `oobm:${m.oobm?.system}` : toHex(md.msgID);
}

describe('gregord server cases', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer();
  });
  afterEach(async () => {
    await h.close();
  });

  it('49: a good token logs in, answers the AuthResult and creates one user actor', async () => {
    h.auth.allow(U1, '1', 'goodtoken');
    const c = await h.client();
    const res = await c.login('goodtoken');
    assert.deepEqual(res.uid, U1);
    assert.equal(res.sid, '1');
    assert.equal(h.server.hub.actorCount, 1);
    assert.equal(h.server.hub.subscriptionCount, 1);
    const [member] = [...h.server.hub.actorOf(U1)!.members()];
    assert.equal((member as Connection).authenticatedAtMs, T0, 'stamped by the injected clock');
  });

  it('50: a failed first login answers an error, closes the connection, creates no actor', async () => {
    const c = await h.client();
    await assert.rejects(c.login('badtoken'), { code: 'GREGOR_ERR_AUTH_FAILED' });
    await c.session.closed();
    assert.equal(c.session.isClosed, true);
    assert.equal(h.server.hub.actorCount, 0);
  });

  it('51: a blank token is BAD_SESSION (202, "unauthed session") and the connection stays', async () => {
    const c = await h.client();
    const err = await c.login('').then(
      () => assert.fail('blank token accepted'),
      (e: Error & { cause: Record<string, unknown> }) => e,
    );
    assert.equal(err.cause.code, 202);
    assert.equal(err.cause.name, 'BAD_SESSION');
    assert.equal(err.cause.desc, 'unauthed session');
    assert.equal(await c.call('ping', {}), 'pong');
    const res = await c.login(h.auth.allow(U1));
    assert.deepEqual(res.uid, U1);
  });

  it('52: calls before login fail with BAD_SESSION and store nothing', async () => {
    const c = await h.client();
    await assert.rejects(c.call('sync', { uid: U1, deviceid: null, ctime: 0 }), {
      code: 'GREGOR_ERR_AUTH_BAD_SESSION',
    });
    await assert.rejects(c.call('consumeMessage', { m: creation(U1, 1) }), {
      code: 'GREGOR_ERR_AUTH_BAD_SESSION',
    });
    assert.deepEqual((await h.stateMachine.state(U1, null, null)).items, []);
  });

  it('53: consuming for another uid fails with "mismatched UIDs"; nothing stored or broadcast', async () => {
    const u1 = await h.user(U1);
    const u2 = await h.user(U2);
    await assert.rejects(u2.call('consumeMessage', { m: creation(U1, 1) }), (err: Error) => {
      assert.match(err.message, /mismatched UIDs: 0101.* != 0202/);
      return true;
    });
    assert.deepEqual((await h.stateMachine.state(U1, null, null)).items, []);
    // A later legitimate consume for U1 is the first and only thing U1 receives.
    await u1.call('consumeMessage', { m: creation(U1, 2) });
    await u1.waitForBroadcasts(1);
    assert.deepEqual(u1.received.map(msgIDHex), [toHex(id(2))]);
  });

  it('54: the superuser may consume for any uid', async () => {
    const su = await h.superuser();
    await su.call('consumeMessage', { m: creation(U1, 1) });
    const state = await h.stateMachine.state(U1, null, null);
    assert.deepEqual(
      state.items.map((i) => toHex(i.md!.msgID)),
      [toHex(id(1))],
    );
  });

  it('55: a consume is broadcast to every connection of the user, the sender included, with the stored ctime', async () => {
    const a = await h.user(U1);
    const b = await h.user(U1);
    const c = await h.user(U2);
    await a.call('consumeMessage', { m: creation(U1, 1) });
    const [ra, rb] = await Promise.all([a.waitForBroadcasts(1), b.waitForBroadcasts(1)]);
    for (const received of [ra, rb]) {
      assert.equal(received.length, 1);
      assert.equal(received[0]!.ibm!.stateUpdate!.md.ctime, T0);
    }
    const stored = await h.stateMachine.state(U1, null, null);
    assert.equal(stored.items[0]!.md!.ctime, T0);
    // C (another user) gets its own next message and nothing before it.
    await c.call('consumeMessage', { m: oob(U2, 'sentinel') });
    await c.waitForBroadcasts(1);
    assert.deepEqual(c.received.map(msgIDHex), ['oobm:sentinel']);
    const sync = await a.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    assert.deepEqual(
      sync.msgs.map((m) => toHex(m.stateUpdate!.md.msgID)),
      [toHex(id(1))],
    );
  });

  it('56: an out-of-band message is relayed to the user connections and never stored', async () => {
    const a = await h.user(U1);
    const b = await h.user(U1);
    const before = await a.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    await a.call('consumeMessage', { m: oob(U1, 'sys', 'x') });
    for (const c of [a, b]) {
      const [m] = await c.waitForBroadcasts(1);
      assert.equal(m!.oobm!.system, 'sys');
      assert.equal(utf8.decode(m!.oobm!.body!), 'x');
    }
    const after = await a.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    assert.deepEqual(after, before);
    assert.deepEqual(
      (await a.call('state', { uid: U1, deviceid: null, timeOrOffset: NOW })).items,
      [],
    );
  });

  it('57: invalid messages are refused with "invalid consume call: …" and nothing is stored', async () => {
    const a = await h.user(U1);
    const noMsgID = creation(U1, 1);
    noMsgID.ibm!.stateUpdate!.md.msgID = new Uint8Array(0) as never;
    const noCategory = creation(U1, 2, '');
    const noBody = creation(U1, 3);
    noBody.ibm!.stateUpdate!.creation!.body = null;
    const neither: Message = { ibm: { stateUpdate: { md: creation(U1, 4).ibm!.stateUpdate!.md } } };
    const cases: [Message, RegExp][] = [
      [{}, /^invalid consume call: unknown message type$/],
      [noMsgID, /^invalid consume call: missing msg ID$/],
      [noCategory, /^invalid consume call: missing category$/],
      [noBody, /^invalid consume call: missing body$/],
      [neither, /^invalid consume call: unknown state update message type$/],
      [oob(U1, ''), /^invalid consume call: missing system$/],
    ];
    for (const [m, message] of cases) {
      await assert.rejects(a.call('consumeMessage', { m }), {
        code: 'GREGOR_ERR_INPUT_INVALID',
        message,
      });
    }
    assert.deepEqual((await h.stateMachine.state(U1, null, null)).items, []);
    assert.deepEqual(await h.stateMachine.inBandMessagesSince(U1, null, 0), []);
    assert.equal(await a.call('ping', {}), 'pong', 'the connection stays open');
  });

  it('58: a dismissal needs msgIDs or ranges, either one is enough', async () => {
    const a = await h.user(U1);
    const dismissal = (msgIDs: number[], ranges: number): Message => ({
      ibm: {
        stateUpdate: {
          md: {
            uid: U1,
            msgID: id(50 + msgIDs.length + ranges),
            ctime: 0,
            deviceID: null,
            inBandMsgType: 1,
          },
          dismissal: {
            msgIDs: msgIDs.map((n) => id(n)),
            ranges: Array.from({ length: ranges }, () => ({
              endTime: NOW,
              category: 'cat',
              skipMsgIDs: [],
            })),
          },
        },
      },
    });
    await assert.rejects(a.call('consumeMessage', { m: dismissal([], 0) }), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
    await a.call('consumeMessage', { m: dismissal([1], 0) });
    await a.call('consumeMessage', { m: dismissal([], 1) });
  });

  it('59: sync answers the creations in ctime order and the hash of State(uid, nil, nil)', async () => {
    const a = await h.user(U1);
    await a.call('consumeMessage', { m: creation(U1, 2, 'cat', 'second', T0 + 10) });
    await a.call('consumeMessage', { m: creation(U1, 1, 'cat', 'first', T0 + 5) });
    const res = await a.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    assert.deepEqual(
      res.msgs.map((m) => toHex(m.stateUpdate!.md.msgID)),
      [toHex(id(1)), toHex(id(2))],
    );
    assert.deepEqual(res.hash, stateHash(await h.stateMachine.state(U1, null, null)));
    const local = new MemoryEngine({ clock: h.clock });
    for (const ibm of res.msgs) await local.consumeMessage({ ibm });
    assert.deepEqual(stateHash(await local.state(U1, null, null)), res.hash);
    assert.notDeepEqual(res.hash, stateHash(makeState([])));
  });

  it('63: the actor goes when its last connection closes; a new connection gets later broadcasts', async () => {
    const c1 = await h.user(U1);
    assert.equal(h.server.hub.actorCount, 1);
    await c1.close();
    await eventually(() => h.server.hub.actorCount === 0, {
      timeoutMs: 3000,
      message: 'actor removed',
    });
    assert.equal(h.server.hub.subscriptionCount, 0);
    const su = await h.superuser();
    await su.call('consumeMessage', { m: oob(U1, 'to-nobody') });
    assert.equal(c1.received.length, 0);
    const c2 = await h.user(U1);
    assert.equal(h.server.hub.actorCount, 2, 'U1 and the superuser');
    await su.call('consumeMessage', { m: oob(U1, 'to-c2') });
    await c2.waitForBroadcasts(1);
    assert.deepEqual(c2.received.map(msgIDHex), ['oobm:to-c2']);
    assert.equal(c1.received.length, 0);
  });

  it('64: consumePublishMessage from the superuser is broadcast only; from anyone else it closes the connection', async () => {
    const u1 = await h.user(U1);
    const sibling = await h.superuser();
    await sibling.call('consumePublishMessage', { m: creation(U1, 1) });
    await u1.waitForBroadcasts(1);
    assert.equal(toHex(u1.received[0]!.ibm!.stateUpdate!.md.msgID), toHex(id(1)));
    assert.deepEqual((await h.stateMachine.state(U1, null, null)).items, []);
    const u2 = await h.user(U2);
    await assert.rejects(u2.call('consumePublishMessage', { m: creation(U1, 2) }), {
      code: 'GREGOR_ERR_AUTH_MISMATCHED_UID',
    });
    await u2.session.closed();
    assert.equal(u1.received.length, 1);
  });

  it('65: a session refused on re-check fails the next call; a revoked session is closed at once', async () => {
    const token = h.auth.allow(U1, '1');
    const c = await h.client();
    await c.login(token);
    // The authority stops vouching for the token: the next call re-checks it and fails.
    h.auth.refuse(token);
    await assert.rejects(c.call('sync', { uid: U1, deviceid: null, ctime: 0 }), {
      code: 'GREGOR_ERR_AUTH_FAILED',
    });
    assert.equal(c.session.isClosed, false);
    // A revocation event makes the server re-check the session now and drop the connection.
    const d = await h.user(U2);
    const revokedToken = h.auth.allow(U2, 'sid-2', 'token-2');
    const e = await h.client();
    await e.login(revokedToken);
    h.auth.revoke(['sid-2']);
    await e.session.closed();
    assert.equal(d.session.isClosed, false);
    await eventually(() => h.server.hub.actorOf(U2)?.size === 1, {
      timeoutMs: 3000,
      message: 'revoked connection detached',
    });
  });

  it('66: ping answers "pong" with or without a session', async () => {
    const anon = await h.client();
    assert.equal(await anon.call('ping', {}), 'pong');
    const u1 = await h.user(U1);
    assert.equal(await u1.call('ping', {}), 'pong');
  });

  it('version answers the server version for the session uid', async () => {
    const u1 = await h.user(U1);
    assert.equal(await u1.call('version', { uid: U1 }), 'gregord-ts');
    await assert.rejects(u1.call('version', { uid: U2 }), {
      code: 'GREGOR_ERR_AUTH_MISMATCHED_UID',
    });
  });

  it('a later login may refresh the token of the same uid but not switch users', async () => {
    const c = await h.user(U1);
    const again = await c.login(h.auth.allow(U1, 'other-sid', 'other-token'));
    assert.equal(again.sid, 'other-sid');
    await assert.rejects(c.login(h.auth.allow(U2)), { code: 'GREGOR_ERR_AUTH_MISMATCHED_UID' });
    await assert.rejects(c.login('unknown'), { code: 'GREGOR_ERR_AUTH_FAILED' });
    assert.equal(await c.call('ping', {}), 'pong', 'a later failed login keeps the connection');
    assert.equal(h.server.hub.actorOf(U1)?.size, 1);
    assert.equal(h.server.hub.actorOf(U2), undefined);
  });

  it('the superuser acts for any uid and is refused nothing by the uid gate', async () => {
    const su = await h.superuser();
    const res = await su.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    assert.deepEqual(res.msgs, []);
    assert.deepEqual(su.received, []);
    assert.deepEqual(h.server.hub.actorOf(SUPER_UID)?.size, 1);
  });
});
