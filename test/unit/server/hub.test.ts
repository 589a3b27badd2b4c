import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { gregorError } from '../../../packages/client/src/errors.js';
import {
  type ConnectedDevice,
  decodeMsgpack,
  METHODS,
  type Message,
  RESYNC_SYSTEM,
  type UID,
} from '../../../packages/client/src/protocol/index.js';
import { InProcessBroker, InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import {
  BroadcasterConsumer,
  encodeBroadcastArgs,
  Hub,
  type HubMember,
  Pipeline,
} from '../../../packages/server/src/server/internal.js';

const U1 = new Uint8Array(16).fill(1) as UID;
const U2 = new Uint8Array(16).fill(2) as UID;
const silent = pino({ level: 'silent' });

/** A stand-in for a Connection: records what it is handed. */
class FakeMember implements HubMember {
  static #next = 1;
  readonly id = FakeMember.#next++;
  readonly got: Message[] = [];
  isClosed = false;
  closedWith: Error | undefined;
  constructor(readonly uid: UID) {}
  deliver(encodedArgs: Uint8Array): void {
    const args = decodeMsgpack(encodedArgs) as unknown[];
    this.got.push(METHODS.broadcastMessage.decodeArg(args[0]).m);
  }
  describe(): ConnectedDevice {
    return { deviceID: null, deviceType: 'fake', devicePlatform: '', userAgent: '' };
  }
  close(reason?: Error): void {
    this.isClosed = true;
    this.closedWith = reason;
  }
}

function oob(uid: UID, system: string): Message {
  return { oobm: { uid, system, body: new Uint8Array([1]) } };
}

function hub(bus = new InProcessBus(), maxQueuedPerKey?: number): Hub {
  const pipeline = new Pipeline([new BroadcasterConsumer()], () => assert.fail('no failures'));
  return new Hub({ bus, pipeline, logger: silent, mailbox: { maxQueuedPerKey } });
}

describe('Hub', () => {
  it('subscribes on the first attach and unsubscribes on the last detach', async () => {
    const h = hub();
    const a = new FakeMember(U1);
    const b = new FakeMember(U1);
    await Promise.all([h.attach(a), h.attach(b)]);
    assert.equal(h.actorCount, 1);
    assert.equal(h.subscriptionCount, 1);
    await h.detach(a);
    assert.equal(h.actorOf(U1)?.size, 1);
    await h.detach(b);
    assert.equal(h.actorCount, 0);
    assert.equal(h.subscriptionCount, 0);
    await h.detach(b);
    assert.equal(h.mailbox.activeKeys, 0);
  });

  it('skips a member that closed before its attach ran', async () => {
    const h = hub();
    const a = new FakeMember(U1);
    a.isClosed = true;
    await h.attach(a);
    assert.equal(h.actorCount, 0);
  });

  it('delivers a consumed message to every open member of the user only, in order', async () => {
    const h = hub();
    const a = new FakeMember(U1);
    const b = new FakeMember(U1);
    const other = new FakeMember(U2);
    await Promise.all([h.attach(a), h.attach(b), h.attach(other)]);
    await Promise.all([h.consume(U1, oob(U1, 'one')), h.consume(U1, oob(U1, 'two'))]);
    for (const m of [a, b])
      assert.deepEqual(
        m.got.map((x) => x.oobm!.system),
        ['one', 'two'],
      );
    assert.deepEqual(other.got, []);
  });

  it('delivers what other instances publish for its users, through the same lane', async () => {
    const broker = new InProcessBroker();
    const h = hub(new InProcessBus({ broker }));
    const elsewhere = new InProcessBus({ broker });
    const a = new FakeMember(U1);
    await h.attach(a);
    await elsewhere.publish(U1, encodeBroadcastArgs(oob(U1, 'remote')));
    await h.drain();
    assert.deepEqual(
      a.got.map((x) => x.oobm!.system),
      ['remote'],
    );
    await h.detach(a);
    await elsewhere.publish(U1, encodeBroadcastArgs(oob(U1, 'after')));
    await h.drain();
    assert.equal(a.got.length, 1);
    await elsewhere.close();
  });

  it('sends gregor.resync to every member on resyncAll', async () => {
    const h = hub();
    const a = new FakeMember(U1);
    const b = new FakeMember(U2);
    await Promise.all([h.attach(a), h.attach(b)]);
    h.resyncAll();
    await h.drain();
    assert.deepEqual(
      a.got.map((x) => [x.oobm!.system, x.oobm!.uid]),
      [[RESYNC_SYSTEM, U1]],
    );
    assert.deepEqual(
      b.got.map((x) => [x.oobm!.system, x.oobm!.uid]),
      [[RESYNC_SYSTEM, U2]],
    );
  });

  it('broadcastLocal delivers without the pipeline', async () => {
    const pipeline = new Pipeline(
      [{ name: 'storage', isCritical: true, consume: () => assert.fail('not stored') }],
      () => undefined,
    );
    const h = new Hub({ bus: new InProcessBus(), pipeline, logger: silent });
    const a = new FakeMember(U1);
    await h.attach(a);
    await h.broadcastLocal(U1, oob(U1, 'published'));
    assert.deepEqual(
      a.got.map((x) => x.oobm!.system),
      ['published'],
    );
  });

  it('refuses consumes and attaches once it stopped accepting, but still detaches', async () => {
    const h = hub();
    const a = new FakeMember(U1);
    await h.attach(a);
    h.stopAccepting();
    await assert.rejects(h.consume(U1, oob(U1, 'x')), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(h.broadcastLocal(U1, oob(U1, 'x')), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(h.attach(new FakeMember(U2)), { code: 'GREGOR_ERR_CLOSED' });
    await h.detach(a);
    assert.equal(h.actorCount, 0);
  });

  it('refuses an attach when the bus cannot subscribe, and keeps no actor', async () => {
    const bus = new InProcessBus();
    await bus.close();
    const h = hub(bus);
    await assert.rejects(h.attach(new FakeMember(U1)));
    assert.equal(h.actorCount, 0);
    assert.equal(h.subscriptionCount, 0);
  });

  it('closes the user members when a delivery from the bus finds the lane full', async () => {
    const broker = new InProcessBroker();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pipeline = new Pipeline(
      [{ name: 'storage', isCritical: true, consume: () => gate }],
      () => undefined,
    );
    const h = new Hub({
      bus: new InProcessBus({ broker }),
      pipeline,
      logger: silent,
      mailbox: { maxQueuedPerKey: 1 },
    });
    const elsewhere = new InProcessBus({ broker });
    const a = new FakeMember(U1);
    await h.attach(a);
    const running = h.consume(U1, oob(U1, 'slow'));
    const queued = h.consume(U1, oob(U1, 'queued'));
    await elsewhere.publish(U1, encodeBroadcastArgs(oob(U1, 'dropped')));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(a.isClosed, true);
    assert.equal((a.closedWith as ReturnType<typeof gregorError>).code, 'GREGOR_ERR_OVERLOADED');
    release();
    await Promise.all([running, queued]);
    await elsewhere.close();
  });

  it('describes the connected users asked for, once each', async () => {
    const h = hub();
    await Promise.all([h.attach(new FakeMember(U1)), h.attach(new FakeMember(U1))]);
    const users = h.describe([U1, U2, U1]);
    assert.equal(users.length, 1);
    assert.equal(users[0]!.devices.length, 2);
  });
});
