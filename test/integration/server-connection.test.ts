// One connection's behaviour: authentication runs off the Hub's path (rule 2), bad input is
// answered and the connection kept, a bad frame closes only that connection, and
// the state reads honour deviceid and timeOrOffset.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type DeviceID,
  METHODS,
  type Message,
  type MsgID,
  toHex,
} from '../../packages/client/src/protocol/index.js';
import { eventually } from '../helpers/eventually.js';
import { creation, type Harness, id, oob, startServer, T0, U1, U2 } from './helpers/test-server.js';

const D1 = id<DeviceID>(0x0d);
const D2 = id<DeviceID>(0x0e);

function onDevice(m: Message, device: DeviceID | null, ctime = 0): Message {
  m.ibm!.stateUpdate!.md.deviceID = device;
  m.ibm!.stateUpdate!.md.ctime = ctime;
  return m;
}

const ids = (items: { md?: { msgID: MsgID } }[]): string[] => items.map((i) => toHex(i.md!.msgID));

describe('gregord connection handling', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer();
  });
  afterEach(async () => {
    await h.close();
  });

  it('rule 2: a login waiting on the authenticator holds up no one and is not in the Hub', async () => {
    const u2 = await h.user(U2);
    const su = await h.superuser();
    const token = h.auth.allow(U1);
    h.auth.hold(token);
    const pending = await h.client();
    const login = pending.login(token);
    await eventually(() => h.auth.calls >= 3, {
      timeoutMs: 3000,
      message: 'the login reached the authenticator',
    });
    // Other users are served meanwhile, and a broadcast to U1 finds no U1 connection yet.
    await u2.call('consumeMessage', { m: oob(U2, 'meanwhile') });
    await u2.waitForBroadcasts(1);
    await su.call('consumeMessage', { m: oob(U1, 'before-login') });
    assert.equal(h.server.hub.actorOf(U1), undefined);
    h.auth.release();
    await login;
    assert.equal(h.server.hub.actorOf(U1)?.size, 1);
    await su.call('consumeMessage', { m: oob(U1, 'after-login') });
    await pending.waitForBroadcasts(1);
    assert.deepEqual(
      pending.received.map((m) => m.oobm!.system),
      ['after-login'],
    );
  });

  it('a connection whose login is still pending when it closes never joins the Hub', async () => {
    h.auth.hold();
    const c = await h.client();
    const login = c.login(h.auth.allow(U1)).catch(() => 'closed');
    await eventually(() => h.auth.calls >= 1, { timeoutMs: 3000, message: 'login pending' });
    await c.close();
    h.auth.release();
    assert.equal(await login, 'closed');
    await eventually(() => h.server.connectionCount === 0, {
      timeoutMs: 3000,
      message: 'connection gone',
    });
    assert.equal(h.server.hub.actorCount, 0);
  });

  it('answers bad arguments and unknown methods with errors and keeps the connection', async () => {
    const c = await h.user(U1);
    await assert.rejects(c.session.call(METHODS.sync.name, { uid: 5, ctime: 0 }), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: /arg\.uid/,
    });
    await assert.rejects(c.session.call(METHODS.consumeMessage.name, 42), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
    await assert.rejects(c.session.call('gregor.1.incoming.nope', {}), {
      code: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
    });
    await assert.rejects(c.session.call(METHODS.broadcastMessage.name, { m: oob(U1) }), {
      code: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
    });
    assert.equal(await c.call('ping', {}), 'pong');
  });

  it('a garbage frame closes that connection only', async () => {
    const good = await h.user(U1);
    const raw = connect({ host: '127.0.0.1', port: h.addresses.tcp!.port });
    raw.on('error', () => undefined);
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(Buffer.from([0x05, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]));
    await new Promise((resolve) => raw.once('close', resolve));
    assert.equal(await good.call('ping', {}), 'pong');
  });

  it('consumes with a body over the configured limit are refused as too large', async () => {
    await h.close();
    h = await startServer({ consumeLimits: { maxBodyBytes: 8 } });
    const c = await h.user(U1);
    await assert.rejects(c.call('consumeMessage', { m: oob(U1, 's', 'x'.repeat(9)) }), {
      code: 'GREGOR_ERR_INPUT_TOO_LARGE',
    });
    await c.call('consumeMessage', { m: oob(U1, 's', 'x'.repeat(8)) });
  });

  it('state and stateByCategoryPrefix honour deviceid and timeOrOffset', async () => {
    const c = await h.user(U1);
    await c.call('consumeMessage', { m: onDevice(creation(U1, 1, 'a.x'), D1, T0 - 3000) });
    await c.call('consumeMessage', { m: onDevice(creation(U1, 2, 'a.y'), D2, T0 - 2000) });
    await c.call('consumeMessage', { m: onDevice(creation(U1, 3, 'b.z'), null, T0 - 1000) });
    const now = { time: 0, offset: 0 };
    const all = await c.call('state', { uid: U1, deviceid: null, timeOrOffset: now });
    assert.deepEqual(ids(all.items), [toHex(id(1)), toHex(id(2)), toHex(id(3))]);
    const d1 = await c.call('state', { uid: U1, deviceid: D1, timeOrOffset: now });
    assert.deepEqual(ids(d1.items), [toHex(id(1)), toHex(id(3))]);
    const prefixD2 = await c.call('stateByCategoryPrefix', {
      uid: U1,
      deviceid: D2,
      timeOrOffset: now,
      categoryPrefix: 'a.',
    });
    assert.deepEqual(ids(prefixD2.items), [toHex(id(2))]);
    const past = await c.call('stateByCategoryPrefix', {
      uid: U1,
      deviceid: null,
      timeOrOffset: { time: T0 - 2500, offset: 0 },
      categoryPrefix: 'a.',
    });
    assert.deepEqual(ids(past.items), [toHex(id(1))]);
    await assert.rejects(
      c.call('stateByCategoryPrefix', {
        uid: U2,
        deviceid: null,
        timeOrOffset: now,
        categoryPrefix: '',
      }),
      { code: 'GREGOR_ERR_AUTH_MISMATCHED_UID' },
    );
  });
});
