import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { WebSocket } from 'ws';
import {
  attachWebSocketServer,
  connectNodeWebSocket,
  connectStandardWebSocket,
  connectTcp,
  createTransportPair,
  listenTcp,
  type RpcSession,
  RpcSession as Session,
  type StandardWebSocketClass,
} from '../../packages/client/src/rpc/index.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { type PairLimits, runTransportSuite, type SessionPair } from './transport-suite.js';

/** Resolves with the first session a listener hands over. */
function firstSession(): { onSession: (s: RpcSession) => void; server: Promise<RpcSession> } {
  let onSession!: (s: RpcSession) => void;
  const server = new Promise<RpcSession>((resolve) => {
    onSession = resolve;
  });
  return { onSession, server };
}

async function tcpPair(
  limits: PairLimits = {},
  tls?: { key: string; cert: string },
): Promise<SessionPair> {
  const { onSession, server } = firstSession();
  const listener = await listenTcp(
    { port: 0, session: { limits: limits.server }, ...(tls ? { tls } : {}) },
    onSession,
  );
  const client = await connectTcp({
    port: listener.address.port,
    session: { limits: limits.client },
    ...(tls ? { tls: { ca: tls.cert } } : {}),
  });
  return {
    client,
    server: await server,
    async dispose() {
      client.close();
      await listener.close();
      await client.closed();
    },
  };
}

let certDir: string | undefined;
let tlsFiles: { key: string; cert: string } | undefined;

before(() => {
  // A throwaway self-signed certificate for 127.0.0.1, made at test time.
  certDir = mkdtempSync(join(tmpdir(), 'gregor-rpc-tls-'));
  const { keyFile: key, certFile: cert } = makeTestCertificate(certDir);
  tlsFiles = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
});

after(() => {
  if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
});

runTransportSuite('in-memory pair', async (limits = {}) => {
  const [a, b] = createTransportPair();
  const client = new Session(a, { limits: limits.client });
  const server = new Session(b, { limits: limits.server });
  return {
    client,
    server,
    async dispose() {
      client.close();
      await Promise.all([client.closed(), server.closed()]);
    },
  };
});

runTransportSuite('TCP', (limits) => tcpPair(limits));

runTransportSuite('TLS', (limits) => tcpPair(limits, tlsFiles));

/** A gregord-style WebSocket endpoint on 127.0.0.1 and a client session made by `connect`. */
async function webSocketPair(
  limits: PairLimits,
  connect: (url: string) => Promise<RpcSession>,
): Promise<SessionPair> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const { onSession, server } = firstSession();
  const attachment = attachWebSocketServer(
    http,
    { path: '/rpc', session: { limits: limits.server } },
    onSession,
  );
  const client = await connect(`ws://127.0.0.1:${port}/rpc`);
  return {
    client,
    server: await server,
    async dispose() {
      client.close();
      await attachment.close();
      await client.closed();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

runTransportSuite('WebSocket', (limits = {}) =>
  webSocketPair(limits, (url) => connectNodeWebSocket(url, { session: { limits: limits.client } })),
);

// The browser's transport, driven through ws's implementation of the standard WebSocket API.
runTransportSuite('standard WebSocket (browser API)', (limits = {}) =>
  webSocketPair(limits, (url) =>
    connectStandardWebSocket(url, {
      WebSocket: WebSocket as unknown as StandardWebSocketClass,
      session: { limits: limits.client },
    }),
  ),
);
