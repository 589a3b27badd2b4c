// The HTTP side: WebSocket clients work like TCP ones (the same RPC and Hub), and /healthz,
// /readyz and /metrics answer.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { DEFAULT_WS_PATH } from '../../packages/server/src/server/index.js';
import { withOverrides } from './helpers/engine-faults.js';
import { TestClient } from './helpers/test-client.js';
import { creation, type Harness, id, startServer, T0, U1 } from './helpers/test-server.js';

function url(h: Harness, path: string): string {
  return `http://127.0.0.1:${h.addresses.http!.port}${path}`;
}

describe('gregord HTTP side', () => {
  let h: Harness | undefined;
  const extra: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((c) => c.close()));
    await h?.close();
    h = undefined;
  });

  it('serves WebSocket clients like TCP ones: login, consume, broadcast to both kinds', async () => {
    h = await startServer({ http: true });
    const ws = await TestClient.webSocket(
      `ws://127.0.0.1:${h.addresses.http!.port}${DEFAULT_WS_PATH}`,
    );
    extra.push(ws);
    const res = await ws.login(h.auth.allow(U1));
    assert.deepEqual(res.uid, U1);
    const tcp = await h.user(U1);
    await ws.call('consumeMessage', { m: creation(U1, 1) });
    for (const c of [ws, tcp]) {
      const [m] = await c.waitForBroadcasts(1);
      assert.equal(toHex(m!.ibm!.stateUpdate!.md.msgID), toHex(id(1)));
      assert.equal(m!.ibm!.stateUpdate!.md.ctime, T0);
    }
    const sync = await ws.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    assert.equal(sync.msgs.length, 1);
    assert.equal(h.server.hub.actorOf(U1)?.size, 2);
  });

  it('answers /healthz, /readyz and /metrics; 404 elsewhere, 405 for other methods', async () => {
    h = await startServer({ http: true });
    const c = await h.user(U1);
    await c.call('consumeMessage', { m: creation(U1, 1) });
    await c.waitForBroadcasts(1);

    const health = await fetch(url(h, '/healthz'));
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');

    const ready = await fetch(url(h, '/readyz'));
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, storage: true, bus: true });

    const metrics = await fetch(url(h, '/metrics'));
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /^gregor_connections 1$/m);
    assert.match(text, /^gregor_users 1$/m);
    assert.match(text, /^gregor_consumes_total\{kind="message",result="ok"\} 1$/m);
    assert.match(text, /^gregor_deliveries_total\{result="ok"\} 1$/m);
    assert.match(text, /^gregor_storage_seconds_count\{op="consume"\} 1$/m);
    assert.match(text, /^gregor_mailbox_queued 0$/m);

    assert.equal((await fetch(url(h, '/nope'))).status, 404);
    assert.equal((await fetch(url(h, '/healthz'), { method: 'POST' })).status, 405);
  });

  it('/readyz is 503 when the storage probe fails', async () => {
    const engine = withOverrides(new MemoryEngine({ clock: new ManualClock(T0) }), {
      latestCTime: () => Promise.reject(new Error('database is down')),
    });
    h = await startServer({ http: true, stateMachine: engine });
    const ready = await fetch(url(h, '/readyz'));
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false, storage: false, bus: true });
    assert.equal((await fetch(url(h, '/healthz'))).status, 200, 'the process is still up');
  });
});
