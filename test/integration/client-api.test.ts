// The high-level client API (`connect`, items, acknowledged writes, events, changes) against a
// real in-process gregord, over TCP and over WebSocket; then the outbox cases (offline, restart
// with a pending outbox, a server refusal, abort and timeout) against a gregord that is stopped
// and started again on the same port.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  connect,
  FileClientStorage,
  type Gregor,
  type GregorChangeOrOverflow,
  type GregorEventMap,
  type GregorEventName,
  type GregorItem,
  type GregorStatus,
  type NodeConnectOptions,
  toHex,
} from '../../packages/client/src/client/index.js';
import { isGregorError } from '../../packages/client/src/errors.js';
import { parseMsgId, type State } from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { eventually } from '../helpers/eventually.js';
import { retryEvery, T0, U1 } from '../unit/client/fixtures.js';
import { type Gregord, startGregordAt } from '../unit/client/gregord-fixture.js';
import { creation, type Harness, startServer } from './helpers/test-server.js';

const UID_HEX = toHex(U1);

/** The arguments of the next `event` of `g`, or a rejection after `timeoutMs`. */
function next<E extends GregorEventName>(
  g: Gregor,
  event: E,
  timeoutMs = 3000,
): Promise<GregorEventMap[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = g.on(event, (...args) => {
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

function liveIds(state: State): string[] {
  return state.items.map((i) => toHex(i.md!.msgID)).sort();
}

function idsOf(items: GregorItem[]): string[] {
  return items.map((i) => i.id).sort();
}

for (const transport of ['tcp', 'websocket'] as const) {
  describe(`the high-level API over ${transport}`, () => {
    let h: Harness;
    const opened: Gregor[] = [];

    async function open(extra: Partial<NodeConnectOptions> = {}): Promise<Gregor> {
      const url =
        transport === 'tcp'
          ? `fmprpc://127.0.0.1:${h.addresses.tcp!.port}`
          : `ws://127.0.0.1:${h.addresses.http!.port}/rpc`;
      const g = await connect(url, {
        uid: UID_HEX,
        token: h.auth.allow(U1),
        reconnect: retryEvery(20),
        // Expiry is judged on each side's clock: keep the device's in step with the server's.
        clock: h.clock,
        ...extra,
      });
      opened.push(g);
      return g;
    }

    beforeEach(async () => {
      h = await startServer({ http: true });
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((g) => g.close()));
      await h.close();
    });

    it('connect resolves online and synced, with the items the server already had', async () => {
      await h.stateMachine.consumeMessage(creation(U1, 7, 'news', 'hello'));
      const g = await open();
      assert.deepEqual(g.status, { type: 'online' });
      const items = g.items();
      assert.equal(items.length, 1);
      assert.equal(items[0]!.id, '07'.repeat(16));
      assert.equal(items[0]!.category, 'news');
      assert.equal(items[0]!.text(), 'hello');
      assert.deepEqual(items[0]!.ctime, new Date(T0));
    });

    it('create resolves with the ID once stored; a second connection sees the item with its fields', async () => {
      const a = await open();
      const b = await open();
      const seen = next(b, 'item');
      const id = await a.create({
        category: 'inbox.mention',
        body: { from: 'max', n: 3 },
        expireIn: 60_000,
        remindAt: [new Date(T0 + 30_000)],
      });
      // Acknowledged: the server's storage has it when the promise resolves.
      assert.deepEqual(liveIds(await h.stateMachine.state(U1, null, null)), [id]);
      const [item] = (await seen) as [GregorItem];
      assert.equal(item.id, id);
      assert.equal(item.category, 'inbox.mention');
      assert.deepEqual(item.json(), { from: 'max', n: 3 });
      assert.deepEqual(item.ctime, new Date(T0));
      assert.deepEqual(item.expireAt, new Date(T0 + 60_000));
      assert.deepEqual(item.remindAt, [new Date(T0 + 30_000)]);
      assert.equal(item.deviceId, undefined);
      assert.deepEqual(idsOf(b.items()), [id]);
      await eventually(() => a.items().length === 1, { message: 'the writer sees its own item' });
      assert.equal(b.item(id)?.text(), '{"from":"max","n":3}');
    });

    it('dismiss, dismissCategory (range and skip list) and replace converge on two connections', async () => {
      const a = await open();
      const b = await open();
      const [x, y] = [
        await a.create({ category: 'c', body: 'x' }),
        await a.create({ category: 'c', body: 'y' }),
      ];
      const z = await a.create({ category: 'other', body: 'z' });
      await eventually(() => b.items().length === 3, { message: 'b sees three items' });

      const gone = next(b, 'dismiss');
      await a.dismiss(x);
      assert.deepEqual((await gone)[0], [x]);
      assert.deepEqual(idsOf(b.items()), [y, z].sort());

      const w = await a.create({ category: 'c', body: 'w' });
      await eventually(() => b.items({ category: 'c' }).length === 2, { message: 'b sees w' });
      await a.dismissCategory('c', { except: [w] });
      await eventually(() => b.items({ category: 'c' }).length === 1, { message: 'b loses y' });
      assert.deepEqual(idsOf(b.items({ category: 'c' })), [w]);
      assert.deepEqual(liveIds(await h.stateMachine.state(U1, null, null)), [w, z].sort());

      const badge = await a.replace('c', { body: '1 new' });
      await eventually(() => b.items({ category: 'c' })[0]?.id === badge, {
        message: 'b sees the replacement',
      });
      assert.deepEqual(idsOf(b.items({ category: 'c' })), [badge]);
      await eventually(() => idsOf(a.items()).join() === [badge, z].sort().join(), {
        message: 'a converges',
      });
      assert.deepEqual(idsOf(b.items()), [badge, z].sort());
      assert.deepEqual(idsOf(b.items({ prefix: 'oth' })), [z]);

      // A range with `before` leaves the items created after it.
      h.clock.advance(1000);
      const late = await a.create({ category: 'c', body: 'late' });
      await a.dismissCategory('c', { before: T0 + 500 });
      assert.deepEqual(liveIds(await h.stateMachine.state(U1, null, null)), [late, z].sort());
      await eventually(() => idsOf(b.items()).join() === [late, z].sort().join(), {
        message: 'b converges',
      });
    });

    it('dismissLocally hides an item on this connection only, at once', async () => {
      const a = await open();
      const b = await open();
      const id = await a.create({ category: 'c', body: 'x' });
      await eventually(() => a.items().length === 1 && b.items().length === 1, {
        message: 'both see it',
      });
      const gone = next(a, 'dismiss');
      await a.dismissLocally(id);
      assert.deepEqual((await gone)[0], [id]);
      assert.deepEqual(a.items(), []);
      assert.equal(b.items().length, 1);
      assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 1);
    });

    it('an out-of-band message reaches every connection of the user as an oob event', async () => {
      const a = await open();
      const b = await open();
      const got = next(b, 'oob');
      await a.sendOutOfBand('app.typing', { who: 'max' });
      const [message] = (await got) as [{ system: string; json(): unknown; text(): string }];
      assert.equal(message.system, 'app.typing');
      assert.deepEqual(message.json(), { who: 'max' });
      assert.equal(message.text(), '{"who":"max"}');
    });

    it('changes() yields items, dismissals and oob in order, and ends at close', async () => {
      const a = await open();
      const b = await open();
      const changes = b.changes();
      const id = await a.create({ category: 'c', body: 'x' });
      await a.dismiss(id);
      await a.sendOutOfBand('s', 'ping');
      const got: GregorChangeOrOverflow[] = [];
      for await (const change of changes) {
        got.push(change);
        if (change.type === 'oob') break;
      }
      assert.deepEqual(
        got.map((c) => c.type),
        ['item', 'dismiss', 'oob'],
      );
      assert.equal(got[0]!.type === 'item' && got[0]!.item.id, id);
      assert.deepEqual(got[1]!.type === 'dismiss' && got[1]!.ids, [id]);
      const rest = b.changes();
      await b.close();
      assert.equal((await rest.next()).done, true);
    });

    it('a server refusal rejects with its typed error and does not hold back later writes', async () => {
      await h.close();
      h = await startServer({ http: true, maxItemsPerUser: 2 });
      const g = await open();
      const first = await g.create({ category: 'c', body: '1' });
      await g.create({ category: 'c', body: '2' });
      const rejected = next(g, 'rejected');
      await assert.rejects(g.create({ category: 'c', body: '3' }), (err) => {
        assert.ok(isGregorError(err, 'GREGOR_ERR_QUOTA_EXCEEDED'), String(err));
        return true;
      });
      assert.equal((await rejected)[1].code, 'GREGOR_ERR_QUOTA_EXCEEDED');
      assert.deepEqual(g.client.outbox(), [], 'the refused message left the outbox');
      await g.dismiss(first);
      const fourth = await g.create({ category: 'c', body: '4' });
      assert.ok(liveIds(await h.stateMachine.state(U1, null, null)).includes(fourth));
      // A message the client itself finds invalid never reaches the outbox.
      await assert.rejects(g.dismiss([]), { code: 'GREGOR_ERR_INPUT_INVALID' });
      assert.deepEqual(g.client.outbox(), []);
    });
  });
}

describe('acknowledged writes through outages (TCP, gregord stopped and started on its port)', () => {
  const engine = new MemoryEngine({ clock: new ManualClock(T0) });
  let gregord: Gregord | undefined;
  let port = 0;
  let dir: string;
  const opened: Gregor[] = [];

  async function startGregord(): Promise<void> {
    gregord = await startGregordAt(port, engine, gregord?.auth);
    port = gregord.port;
  }

  async function stopGregord(): Promise<void> {
    await gregord!.close();
  }

  async function open(extra: Partial<NodeConnectOptions> = {}): Promise<Gregor> {
    const g = await connect(`127.0.0.1:${port}`, {
      uid: U1,
      token: gregord!.auth.allow(U1),
      reconnect: retryEvery(20),
      clock: new ManualClock(T0),
      ...extra,
    });
    opened.push(g);
    return g;
  }

  async function stored(): Promise<string[]> {
    return liveIds(await engine.state(U1, null, null));
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-client-api-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await engine.close();
  });
  beforeEach(async () => {
    await engine.clear();
    await startGregord();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((g) => g.close()));
    if (gregord!.server.state !== 'closed') await gregord!.close();
  });

  it('offline, a write waits in the outbox and resolves once the server is back and stored it', async () => {
    const g = await open();
    const statuses: GregorStatus['type'][] = [];
    g.on('status', (status) => statuses.push(status.type));
    await stopGregord();
    await eventually(() => g.status.type !== 'online', { message: 'offline' });
    assert.equal(statuses[0], 'offline');
    let isSettled = false;
    const write = g.create({ category: 'c', body: 'while offline' }).finally(() => {
      isSettled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(isSettled, false, 'not acknowledged while the server is down');
    assert.equal(g.client.outbox().length, 1);
    const synced = next(g, 'synced', 10_000);
    await startGregord();
    const id = await write;
    assert.deepEqual(await stored(), [id]);
    assert.deepEqual(g.client.outbox(), []);
    await synced;
    await eventually(() => statuses.includes('online'), { message: 'online again' });
    assert.ok(statuses.includes('connecting'));
    await g.close();
    assert.equal(statuses.at(-1), 'closed');
    assert.deepEqual(g.status, { type: 'closed', error: undefined });
  });

  it('a restart with a pending outbox: the next client on the same storage sends it', async () => {
    const storage = new FileClientStorage(join(dir, 'restart'));
    const first = await open({ storage });
    await stopGregord();
    await eventually(() => first.status.type !== 'online', { message: 'offline' });
    const queued = await first.create({ category: 'c', body: 'queued' }, { queued: true });
    const waiting = first.create({ category: 'c', body: 'acked' });
    await eventually(() => first.client.outbox().length === 2, { message: 'both queued' });
    await first.close();
    await assert.rejects(waiting, { code: 'GREGOR_ERR_CLOSED' });
    assert.deepEqual(await stored(), []);

    await startGregord();
    const second = await open({ storage });
    const ids = await stored();
    assert.equal(ids.length, 2);
    assert.ok(ids.includes(queued));
    assert.deepEqual(second.client.outbox(), []);
    assert.deepEqual(
      second
        .items()
        .map((i) => i.text())
        .sort(),
      ['acked', 'queued'],
    );
  });

  it('a timeout or an abort rejects and withdraws a message not yet sent', async () => {
    const g = await open();
    await stopGregord();
    await eventually(() => g.status.type !== 'online', { message: 'offline' });
    await assert.rejects(g.create({ category: 'c', body: 'late' }, { timeoutMs: 50 }), (err) => {
      assert.ok(isGregorError(err, 'GREGOR_ERR_TIMEOUT'), String(err));
      assert.match((err as Error).message, /removed from the outbox/);
      return true;
    });
    const controller = new AbortController();
    const aborted = g.dismiss(parseMsgId('ab'.repeat(16)), { signal: controller.signal });
    await eventually(() => g.client.outbox().length === 1, { message: 'queued' });
    controller.abort(new Error('user left the page'));
    await assert.rejects(aborted, { code: 'GREGOR_ERR_ABORTED' });
    assert.deepEqual(g.client.outbox(), []);
    const already = new AbortController();
    already.abort();
    await assert.rejects(g.create({ category: 'c', body: 'x' }, { signal: already.signal }), {
      code: 'GREGOR_ERR_ABORTED',
    });
    assert.deepEqual(g.client.outbox(), [], 'an aborted signal queues nothing');

    // Back online, a later write goes through and the withdrawn ones never arrive.
    await startGregord();
    const id = await g.create({ category: 'c', body: 'after' }, { timeoutMs: 5000 });
    assert.deepEqual(await stored(), [id]);
  });

  it('connect rejects for a refused token, and on an abort signal while the server is away', async () => {
    await assert.rejects(
      connect(`fmprpc://127.0.0.1:${port}`, { uid: UID_HEX, token: 'not-a-token' }),
      { code: 'GREGOR_ERR_AUTH_FAILED' },
    );
    await stopGregord();
    const controller = new AbortController();
    const pending = connect(`fmprpc://127.0.0.1:${port}`, {
      uid: UID_HEX,
      token: gregord!.auth.allow(U1),
      reconnect: retryEvery(20),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, { code: 'GREGOR_ERR_ABORTED' });
    await assert.rejects(connect(`fmprpc://127.0.0.1:${port}`, { uid: 'xyz', token: 't' }), {
      code: 'GREGOR_ERR_INPUT_INVALID',
    });
  });
});
