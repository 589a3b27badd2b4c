/**
 * Round trips per second of ping over one loopback connection, for the rpc bench: our session
 * over TCP and WebSocket, and a bare echo of the same bytes over the same kind of socket as the
 * baseline, each for a fixed duration with a fixed number of calls in flight.
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { fromHex } from '../packages/client/src/protocol/index.js';
import {
  attachWebSocketServer,
  connectNodeWebSocket,
  connectTcp,
  listenTcp,
  type OnSession,
  type RpcSession,
} from '../packages/client/src/rpc/index.js';

/** The ping call frame of docs/protocol.md, "Messages": what every client here sends. */
export const PING_FRAME = fromHex('1c940001b6677265676f722e312e696e636f6d696e672e70696e679180');
const PING = 'gregor.1.incoming.ping';
const servePing: OnSession = (session) => {
  session.handle(PING, () => 'pong');
};

/** Keep `inFlight` calls going on `session` for `durationMs`; returns completed calls per second. */
async function drive(session: RpcSession, inFlight: number, durationMs: number): Promise<number> {
  const deadline = performance.now() + durationMs;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await session.call(PING, {});
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (done * 1000) / (performance.now() - started);
}

/** Our session over TCP. */
export async function sessionOverTcp(inFlight: number, durationMs: number): Promise<number> {
  const listener = await listenTcp({ port: 0 }, servePing);
  const client = await connectTcp({ port: listener.address.port });
  try {
    return await drive(client, inFlight, durationMs);
  } finally {
    client.close();
    await listener.close();
  }
}

/** Our session over WebSocket. */
export async function sessionOverWebSocket(inFlight: number, durationMs: number): Promise<number> {
  const http = createHttpServer();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const attachment = attachWebSocketServer(http, { path: '/rpc' }, servePing);
  const { port } = http.address() as AddressInfo;
  const client = await connectNodeWebSocket(`ws://127.0.0.1:${port}/rpc`);
  try {
    return await drive(client, inFlight, durationMs);
  } finally {
    client.close();
    await attachment.close();
    http.closeAllConnections();
    http.close();
  }
}

/**
 * Send `inFlight` ping frames, and one more each time one frame's worth of echoed bytes is back,
 * for `durationMs`. `send` writes one frame; `onBytes` is fed what comes back.
 */
async function echoLoop(
  send: () => void,
  onBytes: (handler: (n: number) => void) => void,
  inFlight: number,
  durationMs: number,
): Promise<number> {
  const frame = PING_FRAME.length;
  let received = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await new Promise<void>((resolve) => {
    let outstanding = inFlight;
    onBytes((n) => {
      received += n;
      while (received >= frame) {
        received -= frame;
        completed++;
        outstanding--;
        if (performance.now() < deadline) {
          outstanding++;
          send();
        } else if (outstanding === 0) {
          resolve();
        }
      }
    });
    for (let i = 0; i < inFlight; i++) send();
  });
  return (completed * 1000) / (performance.now() - started);
}

/** Baseline: a bare TCP echo of the ping frame bytes. */
export async function bareTcpEcho(inFlight: number, durationMs: number): Promise<number> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket: Socket = connect({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
  });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  try {
    return await echoLoop(
      () => socket.write(PING_FRAME),
      (handler) => socket.on('data', (chunk: Buffer) => handler(chunk.length)),
      inFlight,
      durationMs,
    );
  } finally {
    socket.destroy();
    server.close();
  }
}

/** Baseline: a bare WebSocket echo of the ping frame bytes, one message per frame. */
export async function bareWebSocketEcho(inFlight: number, durationMs: number): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
  });
  await once(ws, 'open');
  try {
    return await echoLoop(
      () => ws.send(PING_FRAME),
      (handler) => ws.on('message', (data: Buffer) => handler(data.length)),
      inFlight,
      durationMs,
    );
  } finally {
    ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}
