/**
 * The HTTP side of gregord: WebSocket upgrades on `wsPath` (the same framed msgpack-rpc as TCP,
 * served by the same dispatcher), `/metrics` (Prometheus text), `/healthz` (the process answers)
 * and `/readyz` (storage answers a cheap query and the bus is ready). Everything else is 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { UID } from 'gregor-client/protocol';
import {
  attachWebSocketServer,
  type OnSession,
  type RpcSessionOptions,
  TCP_KEEPALIVE_DELAY_MS,
} from 'gregor-client/rpc';
import { type StateReader, withDeadline } from 'gregor-client/state/internal';
import type { Registry } from 'prom-client';
import type { Bus } from '../pubsub/index.js';
import { originPolicy } from './origin-policy.js';

/** The request path that upgrades to a WebSocket RPC session. */
export const DEFAULT_WS_PATH = '/rpc';
/**
 * How long /readyz waits for the storage probe, ms. The wait itself is bounded here, not left to
 * the engine: a frozen database must make /readyz answer 503 in time, whatever the engine does.
 */
export const READY_PROBE_TIMEOUT_MS = 2_000;

/** A uid no user has: the readiness probe reads its latest ctime, an indexed no-op query. */
const PROBE_UID = new Uint8Array(16) as UID;

/** What the HTTP side serves from. */
export interface HttpSideOptions {
  host: string;
  port: number;
  wsPath: string;
  session: Omit<RpcSessionOptions, 'id'>;
  onSession: OnSession;
  registry: Registry;
  storage: StateReader;
  bus: Bus;
  /**
   * Origins whose pages may open a WebSocket (`*` for any), besides the listener's own; see
   * origin-policy.ts. @default every origin
   */
  allowedOrigins?: readonly string[];
}

/** A listening HTTP server with its WebSocket attachment. */
export class HttpSide {
  readonly #server: Server;
  readonly #detachWebSocket: () => Promise<void>;
  readonly #opts: HttpSideOptions;

  private constructor(server: Server, detach: () => Promise<void>, opts: HttpSideOptions) {
    this.#server = server;
    this.#detachWebSocket = detach;
    this.#opts = opts;
  }

  /** Listen; resolves once bound. Rejects with the socket error (e.g. EADDRINUSE). */
  static async listen(opts: HttpSideOptions): Promise<HttpSide> {
    let side: HttpSide | undefined;
    // TCP keepalive on every accepted socket, as on the TCP listener: WebSocket clients vanish too.
    const server = createServer(
      { keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS },
      (req, res) => {
        if (side === undefined) res.writeHead(503).end();
        else side.#route(req, res);
      },
    );
    const isAllowed =
      opts.allowedOrigins === undefined
        ? undefined
        : originPolicy(opts.allowedOrigins, () => side?.address ?? opts);
    const ws = attachWebSocketServer(
      server,
      {
        path: opts.wsPath,
        session: opts.session,
        ...(isAllowed === undefined
          ? {}
          : {
              isOriginAllowed: (origin: string, req: IncomingMessage) => {
                const allowed = isAllowed(origin);
                if (!allowed) {
                  opts.session.logger?.debug(
                    { origin, remote: req.socket.remoteAddress },
                    'WebSocket upgrade refused: origin not in --ws-allowed-origins',
                  );
                }
                return allowed;
              },
            }),
      },
      opts.onSession,
    );
    side = new HttpSide(server, () => ws.close(), opts);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await ws.close();
      throw err;
    }
    return side;
  }

  /** The bound address. */
  get address(): { host: string; port: number } {
    const bound = this.#server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : this.#opts.port;
    return { host: this.#opts.host, port };
  }

  /** Stop accepting requests and upgrades, close the WebSocket sessions and idle sockets. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#detachWebSocket();
    this.#server.closeAllConnections();
    await closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      send(res, 200, 'text/plain', 'ok\n');
    } else if (path === '/readyz') {
      void this.#ready().then(([status, body]) => send(res, status, 'application/json', body));
    } else if (path === '/metrics') {
      const registry = this.#opts.registry;
      void registry.metrics().then(
        (text) => send(res, 200, registry.contentType, text),
        () => send(res, 500, 'text/plain', 'metrics unavailable\n'),
      );
    } else {
      send(res, 404, 'text/plain', 'not found\n');
    }
  }

  async #ready(): Promise<[number, string]> {
    const isBusReady = this.#opts.bus.isReady;
    let isStorageReady = true;
    try {
      const probe = { timeoutMs: READY_PROBE_TIMEOUT_MS };
      await withDeadline(
        this.#opts.storage.latestCTime(PROBE_UID, null, probe),
        probe,
        'readiness probe',
      );
    } catch {
      isStorageReady = false;
    }
    const ready = isBusReady && isStorageReady;
    return [ready ? 200 : 503, JSON.stringify({ ready, storage: isStorageReady, bus: isBusReady })];
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}
