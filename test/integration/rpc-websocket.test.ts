// WebSocket specifics the shared transport suite cannot express: the server lives on a caller's
// http.Server beside other routes, and a text message is a protocol error.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { fromHex } from '../../packages/client/src/protocol/index.js';
import {
  attachWebSocketServer,
  connectNodeWebSocket,
  type RpcSession,
  type WebSocketAttachment,
} from '../../packages/client/src/rpc/index.js';

const PING_CALL = fromHex('1c940001b6677265676f722e312e696e636f6d696e672e70696e679180');

describe('WebSocket transport on a shared http.Server', () => {
  let http: Server;
  let attachment: WebSocketAttachment;
  let base: string;
  const serverSessions: RpcSession[] = [];

  before(async () => {
    http = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404).end(req.url === '/healthz' ? 'ok' : '');
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    base = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    attachment = attachWebSocketServer(http, { path: '/rpc' }, (session: RpcSession) => {
      session.handle('gregor.1.incoming.ping', () => 'pong');
      serverSessions.push(session);
    });
  });

  after(async () => {
    await attachment.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('serves plain HTTP routes on the same port', async () => {
    const res = await fetch(`http://${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  });

  it('answers the ping frame sent as a binary message with the pong bytes', async () => {
    const ws = new WebSocket(`ws://${base}/rpc`);
    await once(ws, 'open');
    ws.send(PING_CALL);
    const [data] = (await once(ws, 'message')) as [Buffer];
    assert.equal(data.toString('hex'), '09940101c0a4706f6e67');
    ws.close();
    await once(ws, 'close');
  });

  it('closes a connection that sends a text message, with GREGOR_ERR_PROTOCOL_BAD_FRAME', async () => {
    const ws = new WebSocket(`ws://${base}/rpc`);
    await once(ws, 'open');
    const server = serverSessions.at(-1)!;
    const errors: string[] = [];
    server.on('error', (err) => errors.push(err.code));
    ws.send('hello');
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1003);
    assert.equal((await server.closed())?.code, 'GREGOR_ERR_PROTOCOL_BAD_FRAME');
    assert.deepEqual(errors, ['GREGOR_ERR_PROTOCOL_BAD_FRAME']);
  });

  it('refuses an upgrade on another path', async () => {
    const opened = serverSessions.length;
    const ws = new WebSocket(`ws://${base}/elsewhere`);
    const failure = new Promise<Error>((resolve) => ws.on('error', resolve));
    await new Promise((resolve) => ws.on('close', resolve));
    assert.match((await failure).message, /socket hang up/);
    assert.equal(serverSessions.length, opened);
  });

  it('connects with connectNodeWebSocket and gives up on an unreachable server with a typed error', async () => {
    const session = await connectNodeWebSocket(`ws://${base}/rpc`);
    assert.equal(await session.call('gregor.1.incoming.ping', {}), 'pong');
    session.close();
    await assert.rejects(connectNodeWebSocket('ws://127.0.0.1:1/rpc'), {
      code: 'GREGOR_ERR_CLOSED',
    });
  });
});
