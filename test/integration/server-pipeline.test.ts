// Rule 1 (docs/architecture.md, "The four rules") with real engines: a message runs storage →
// publisher → broadcaster; a persist failure means nothing is published or broadcast and the caller
// gets the error (with no SQL text on the wire); a failing publisher never fails the consume and
// the broadcaster still runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { gregorError } from '../../packages/client/src/errors.js';
import {
  decodeMsgpack,
  METHODS,
  type Message,
  toHex,
} from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import {
  type Bus,
  InProcessBroker,
  InProcessBus,
  type Subscription,
} from '../../packages/server/src/pubsub/index.js';
import { openSqlEngine } from '../../packages/server/src/storage/index.js';
import { withOverrides } from './helpers/engine-faults.js';
import { creation, type Harness, oob, startServer, T0, U1 } from './helpers/test-server.js';

function systemOf(m: Message): string {
  return m.oobm?.system ?? `ibm:${toHex(m.ibm!.stateUpdate!.md.msgID)}`;
}

/** Another instance on the same broker, recording what it receives for U1. */
async function sibling(
  broker: InProcessBroker,
): Promise<{ bus: Bus; got: Message[]; sub: Subscription }> {
  const bus = new InProcessBus({ broker });
  const got: Message[] = [];
  const sub = await bus.subscribe(U1, (payload) => {
    const args = decodeMsgpack(payload) as unknown[];
    got.push(METHODS.broadcastMessage.decodeArg(args[0]).m);
  });
  return { bus, got, sub };
}

/** A bus whose publications all fail, in front of a real one. */
function failingPublishBus(inner: Bus): Bus {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'publish') return () => Promise.reject(gregorError('GREGOR_ERR_BUS_FAILED'));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('gregord pipeline (rule 1)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** This server's bus, and another instance on the same broker recording what it gets. */
  async function busWithSibling(): Promise<{ bus: Bus; other: { got: Message[] } }> {
    const broker = new InProcessBroker();
    const bus = new InProcessBus({ broker });
    cleanups.push(() => bus.close());
    const other = await sibling(broker);
    cleanups.push(async () => {
      await other.sub.unsubscribe();
      await other.bus.close();
    });
    return { bus, other };
  }

  async function started(h: Harness): Promise<Harness> {
    cleanups.push(() => h.close());
    return h;
  }

  it('a SQLite write failure fails the consume, and nothing is published or broadcast', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-server-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gregor.db');
    const engine = await openSqlEngine(`sqlite:${file}`, { clock: new ManualClock(T0) });
    cleanups.push(() => engine.close());
    const { bus, other } = await busWithSibling();
    const h = await started(await startServer({ stateMachine: engine, bus }));
    const a = await h.user(U1);
    const b = await h.user(U1);

    await a.call('consumeMessage', { m: creation(U1, 1) });
    await b.waitForBroadcasts(1);

    // Break the database from outside: every new message row now fails to insert.
    const db = new Database(file);
    db.exec(`CREATE TRIGGER broken BEFORE INSERT ON gregor_messages
             BEGIN SELECT RAISE(ABORT, 'disk on fire: INSERT INTO gregor_messages'); END;`);
    db.close();

    const err = await a.call('consumeMessage', { m: creation(U1, 2) }).then(
      () => assert.fail('the consume succeeded'),
      (e: Error & { code: string }) => e,
    );
    assert.equal(err.code, 'GREGOR_ERR_STORAGE_FAILED');
    assert.doesNotMatch(err.message, /INSERT|gregor_messages|disk on fire/, 'no SQL on the wire');

    // An out-of-band message skips storage: it is the next thing everyone sees.
    await a.call('consumeMessage', { m: oob(U1, 'after') });
    await Promise.all([a.waitForBroadcasts(2), b.waitForBroadcasts(2)]);
    for (const c of [a, b])
      assert.deepEqual(c.received.map(systemOf), [`ibm:${'01'.repeat(16)}`, 'after']);
    assert.deepEqual(other.got.map(systemOf), [`ibm:${'01'.repeat(16)}`, 'after']);
    assert.equal((await engine.state(U1, null, null)).items.length, 1);
  });

  it('an engine that throws a raw error is reported as GREGOR_ERR_STORAGE_FAILED without its text', async () => {
    const engine = withOverrides(new MemoryEngine({ clock: new ManualClock(T0) }), {
      consume: () => Promise.reject(new Error('SELECT secret FROM passwords')),
    });
    const h = await started(await startServer({ stateMachine: engine }));
    const a = await h.user(U1);
    await assert.rejects(a.call('consumeMessage', { m: creation(U1, 1) }), {
      code: 'GREGOR_ERR_STORAGE_FAILED',
      message: 'storage operation failed',
    });
    await a.call('consumeMessage', { m: oob(U1, 'sentinel') });
    await a.waitForBroadcasts(1);
    assert.deepEqual(a.received.map(systemOf), ['sentinel']);
  });

  it('a failing publisher is counted, never fails the consume, and the broadcaster still runs', async () => {
    const inner = new InProcessBus();
    cleanups.push(() => inner.close());
    const h = await started(await startServer({ bus: failingPublishBus(inner) }));
    const a = await h.user(U1);
    await a.call('consumeMessage', { m: creation(U1, 1) });
    await a.waitForBroadcasts(1);
    assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 1);
    const failures = await h.server.metrics.busPublishFailures.get();
    assert.equal(failures.values[0]?.value, 1);
  });

  it('publishes the stamped message: other instances see the stored ctime', async () => {
    const { bus, other } = await busWithSibling();
    const h = await started(await startServer({ bus }));
    const a = await h.user(U1);
    await a.call('consumeMessage', { m: creation(U1, 1) });
    await a.waitForBroadcasts(1);
    assert.equal(other.got.length, 1);
    assert.equal(other.got[0]!.ibm!.stateUpdate!.md.ctime, T0);
  });
});
