// A frozen database (a proxy in front of the shared PostgreSQL or MariaDB stops forwarding, every
// socket open) must not hang gregord: state, sync and consume fail with GREGOR_ERR_TIMEOUT within
// the deadlines, /readyz answers 503 within its promised 2 s, and everything works again once the
// database answers. The engine's database sockets have TCP keepalive on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DialectName, SqlEngine } from '../../packages/server/src/storage/index.js';
import { eventually } from '../helpers/eventually.js';
import {
  type FreezableProxy,
  startFreezableProxy,
  throughProxy,
} from '../helpers/freezable-proxy.js';
import { MYSQL_URL, POSTGRES_URL } from '../helpers/services.js';
import { keepaliveTo } from '../helpers/socket-keepalive.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_SKIPS,
  type StoragePlace,
} from '../unit/storage/storage-places.js';
import { creation, type Harness, startServer, U1 } from './helpers/test-server.js';

/** How `eventually` waits for gregord processes and their databases. */
const CLUSTER_WAIT = { timeoutMs: 15_000, intervalMs: 25 };

const QUERY_TIMEOUT_MS = 1000;
const STORAGE_TIMEOUT_MS = 3000;
/** Generous: the deadlines above are 1–3 s; a hang (today's main) takes forever. */
const ANSWERED_WITHIN_MS = 8000;

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; outcome: T | unknown }> {
  const start = Date.now();
  const outcome = await p.then(
    (v) => v,
    (err: unknown) => err,
  );
  return { ms: Date.now() - start, outcome };
}

for (const dialect of ['postgres', 'mysql'] as DialectName[]) {
  describe(`gregord on a frozen ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    let place: StoragePlace;
    let proxy: FreezableProxy;
    let engine: SqlEngine;
    let h: Harness;

    before(async () => {
      place = await openStoragePlace(dialect, 'gregor_frozen');
      const service = new URL(dialect === 'postgres' ? POSTGRES_URL : MYSQL_URL);
      proxy = await startFreezableProxy({
        host: service.hostname,
        port: Number(service.port) || (dialect === 'postgres' ? 5432 : 3306),
      });
      engine = await openEngineOn(
        { ...place, url: throughProxy(place.url, proxy) },
        { poolSize: 2, queryTimeoutMs: QUERY_TIMEOUT_MS, connectTimeoutMs: QUERY_TIMEOUT_MS },
      );
      h = await startServer({
        stateMachine: engine,
        storageTimeoutMs: STORAGE_TIMEOUT_MS,
        http: true,
      });
    });

    after(async () => {
      proxy.unfreeze();
      await h.close();
      await engine.close();
      await proxy.close();
      await place.drop();
    });

    it('keeps TCP keepalive on its database connections', async () => {
      const c = await h.user(U1);
      await c.call('state', { uid: U1, deviceid: null, timeOrOffset: { time: 0, offset: 0 } });
      const sockets = keepaliveTo(proxy.port);
      assert.ok(sockets.length > 0, 'the engine holds a connection through the proxy');
      assert.ok(sockets.every(Boolean), `keepalive on every database socket: ${sockets}`);
    });

    it('fails state, sync and consume with a timeout, answers /readyz in time, and recovers', async (t) => {
      const c = await h.user(U1);
      const now = { time: 0, offset: 0 };
      await c.call('consumeMessage', { m: creation(U1, 1) });
      await c.waitForBroadcasts(1);

      proxy.freeze();
      const state = await elapsed(c.call('state', { uid: U1, deviceid: null, timeOrOffset: now }));
      assert.equal((state.outcome as { code?: string }).code, 'GREGOR_ERR_TIMEOUT');
      assert.ok(state.ms < ANSWERED_WITHIN_MS, `state answered in ${state.ms} ms`);

      const sync = await elapsed(c.call('sync', { uid: U1, deviceid: null, ctime: 0 }));
      assert.equal((sync.outcome as { code?: string }).code, 'GREGOR_ERR_TIMEOUT');
      assert.ok(sync.ms < ANSWERED_WITHIN_MS, `sync answered in ${sync.ms} ms`);

      const consume = await elapsed(c.call('consumeMessage', { m: creation(U1, 2) }));
      assert.equal((consume.outcome as { code?: string }).code, 'GREGOR_ERR_TIMEOUT');
      assert.ok(consume.ms < ANSWERED_WITHIN_MS, `consume answered in ${consume.ms} ms`);

      const readyz = `http://127.0.0.1:${h.addresses.http!.port}/readyz`;
      const ready = await elapsed(fetch(readyz));
      assert.equal((ready.outcome as Response).status, 503);
      assert.deepEqual(await (ready.outcome as Response).json(), {
        ready: false,
        storage: false,
        bus: true,
      });
      assert.ok(ready.ms < 5000, `/readyz answered in ${ready.ms} ms (it promises 2 s)`);
      t.diagnostic(
        `frozen: state ${state.ms} ms, sync ${sync.ms} ms, consume ${consume.ms} ms, /readyz ${ready.ms} ms`,
      );

      proxy.unfreeze();
      await eventually(
        () =>
          fetch(readyz).then(
            (r) => r.status === 200,
            () => false,
          ),
        { ...CLUSTER_WAIT, message: '/readyz 200 again' },
      );
      await eventually(
        () =>
          c.call('consumeMessage', { m: creation(U1, 3) }).then(
            () => true,
            () => false,
          ),
        { ...CLUSTER_WAIT, message: 'a consume stored again' },
      );
      const after = await c.call('state', { uid: U1, deviceid: null, timeOrOffset: now });
      const ids = after.items.map((item) => item.md?.msgID[0]);
      assert.ok(ids.includes(1) && ids.includes(3), `items after recovery: ${ids}`);
    });
  });
}
