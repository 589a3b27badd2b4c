// Hostile connections are bounded: a frame left unfinished is cut at the frame read deadline,
// before login and after; one address and one user hold at most their configured connections;
// and every accepted socket has TCP keepalive on, so a vanished peer is found.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { startGregord } from '../../packages/server/src/daemon/bootstrap.js';
import { parseGregordConfig } from '../../packages/server/src/daemon/config.js';
import { eventually } from '../helpers/eventually.js';
import { hasKeepalive } from '../helpers/socket-keepalive.js';
import { closedByServer, rawConnect, rawLogin } from './helpers/raw-peer.js';
import { type Harness, startServer, U1, U2 } from './helpers/test-server.js';

const FRAME_READ_TIMEOUT_MS = 200;
/** Generous bound for "closed by the deadline" on a loaded machine; without it, never. */
const CLOSED_WITHIN_MS = 5000;
/** A length prefix of 4096 bytes and the first payload byte: a frame that never finishes. */
const UNFINISHED_FRAME = Uint8Array.of(0xcd, 0x10, 0x00, 0x94);

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms).unref();
    }),
  ]);
}

async function counterValue(h: Harness, name: string, labels: object = {}): Promise<number> {
  const metric = h.server.metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const match = values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels));
  return match?.value ?? 0;
}

describe('gregord connection guards', () => {
  let h: Harness | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await h?.close();
    h = undefined;
  });

  it('closes a connection whose frame is unfinished at the frame read deadline, before login', async () => {
    h = await startServer({ rpcLimits: { frameReadTimeoutMs: FRAME_READ_TIMEOUT_MS } });
    const slow = await rawConnect(h.addresses.tcp!.port);
    sockets.push(slow);
    slow.write(UNFINISHED_FRAME);
    await within(closedByServer(slow), CLOSED_WITHIN_MS, 'close of the unfinished frame');
    const bystander = await h.client();
    assert.equal(await bystander.call('ping', {}), 'pong');
    assert.equal(await counterValue(h, 'gregor_frame_read_timeouts_total'), 1);
  });

  it('closes a logged-in connection whose frame is unfinished at the deadline', async () => {
    h = await startServer({ rpcLimits: { frameReadTimeoutMs: FRAME_READ_TIMEOUT_MS } });
    const slow = await rawLogin(h.addresses.tcp!.port, h.auth.allow(U1));
    sockets.push(slow);
    assert.equal(h.server.hub.actorOf(U1)?.size, 1, 'logged in and attached');
    slow.write(UNFINISHED_FRAME);
    await within(closedByServer(slow), CLOSED_WITHIN_MS, 'close of the unfinished frame');
    assert.equal(await counterValue(h, 'gregor_frame_read_timeouts_total'), 1);
  });

  it('closes a connection past maxConnectionsPerAddress at once, and accepts again after one closes', async () => {
    h = await startServer({ maxConnectionsPerAddress: 2 });
    const port = h.addresses.tcp!.port;
    const first = await h.client();
    await h.client();
    const third = await rawConnect(port);
    sockets.push(third);
    await within(closedByServer(third), CLOSED_WITHIN_MS, 'close of the third connection');
    assert.equal(await counterValue(h, 'gregor_connections_refused_total', { by: 'address' }), 1);
    assert.equal(await first.call('ping', {}), 'pong', 'the connections within the bound stay');
    await first.close();
    await eventually(() => h!.server.connectionCount === 1, {
      timeoutMs: CLOSED_WITHIN_MS,
      message: 'the server saw it',
    });
    const again = await h.client();
    assert.equal(await again.call('ping', {}), 'pong');
  });

  it('refuses a login past maxConnectionsPerUser and closes it; other users and later logins are served', async () => {
    h = await startServer({ maxConnectionsPerUser: 2 });
    const a = await h.user(U1);
    await h.user(U1);
    const extra = await h.client();
    await assert.rejects(extra.login(h.auth.allow(U1)), { code: 'GREGOR_ERR_CONNECTION_LIMIT' });
    await within(extra.session.closed(), CLOSED_WITHIN_MS, 'close of the refused login');
    assert.equal(await counterValue(h, 'gregor_connections_refused_total', { by: 'user' }), 1);
    assert.equal(h.server.hub.actorOf(U1)?.size, 2);
    const other = await h.user(U2);
    assert.equal(await other.call('ping', {}), 'pong');
    await a.close();
    await eventually(() => h!.server.hub.actorOf(U1)?.size === 1, {
      timeoutMs: CLOSED_WITHIN_MS,
      message: 'U1 left',
    });
    const later = await h.user(U1);
    assert.equal(await later.call('ping', {}), 'pong');
  });

  it('turns TCP keepalive on for every accepted socket, framed TCP and HTTP', async () => {
    h = await startServer({ http: true });
    for (const port of [h.addresses.tcp!.port, h.addresses.http!.port]) {
      const socket = await rawConnect(port);
      sockets.push(socket);
      // The server's side of this connection: its local port is the listener's.
      const peerPort = socket.localPort!;
      for (let i = 0; i < 100 && !hasKeepalive(port, peerPort); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(hasKeepalive(port, peerPort), `keepalive on the socket accepted on port ${port}`);
      assert.ok(!hasKeepalive(peerPort, port), 'and not on the test client, which never asked');
    }
  });

  it('gregord hands --frame-read-timeout and --max-connections-per-address to its server', async () => {
    const config = parseGregordConfig({
      flags: {
        storage: 'memory:',
        mockAuth: true,
        bindAddress: '127.0.0.1:0',
        httpAddress: 'off',
        frameReadTimeout: `${FRAME_READ_TIMEOUT_MS}ms`,
        maxConnectionsPerAddress: '1',
      },
    });
    const gregord = await startGregord(config, { logger: pino({ level: 'silent' }) });
    try {
      const port = gregord.addresses.tcp!.port;
      const slow = await rawConnect(port);
      sockets.push(slow);
      const second = await rawConnect(port);
      sockets.push(second);
      await within(closedByServer(second), CLOSED_WITHIN_MS, 'close of the second connection');
      slow.write(UNFINISHED_FRAME);
      await within(closedByServer(slow), CLOSED_WITHIN_MS, 'close of the unfinished frame');
    } finally {
      await gregord.close();
    }
  });
});
