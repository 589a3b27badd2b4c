/**
 * The HTTP side of gregord, one port for: WebSocket upgrades on `wsPath` (the same framed
 * msgpack-rpc as TCP, served by the same dispatcher), `/metrics` (Prometheus text), `/healthz`
 * (the process answers), `/readyz` (storage answers a cheap query and the bus is ready), and, when
 * `api` is given, the HTTP API for backends under `/api/v1` (api-routes.ts). Routing is fastify's;
 * the WebSocket upgrade is taken on its node:http server before fastify sees a request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import swagger from '@fastify/swagger';
import fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { ERROR_CODES, isGregorError, publicError } from 'gregor-client/errors';
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
import type { ApiKeys } from './api-keys.js';
import { API_BASE, registerApiRoutes } from './api-routes.js';
import type { BackendOperations } from './backend-operations.js';
import type { ServerMetrics } from './metrics.js';
import { originPolicy } from './origin-policy.js';

/** The request path that upgrades to a WebSocket RPC session. */
export const DEFAULT_WS_PATH = '/rpc';
/**
 * How long /readyz waits for the storage probe, ms. The wait itself is bounded here, not left to
 * the engine: a frozen database must make /readyz answer 503 in time, whatever the engine does.
 */
export const READY_PROBE_TIMEOUT_MS = 2_000;
/** Largest HTTP API request body, bytes, unless configured. */
export const DEFAULT_API_MAX_BODY_BYTES = 1024 * 1024;
/** HTTP API requests one key may have in flight, unless configured. */
export const DEFAULT_API_MAX_IN_FLIGHT_PER_KEY = 64;

/** A uid no user has: the readiness probe reads its latest ctime, an indexed no-op query. */
const PROBE_UID = new Uint8Array(16) as UID;

/** The HTTP API of an HTTP side. */
export interface HttpApiSettings {
  readonly keys: ApiKeys;
  readonly backend: BackendOperations;
  readonly maxBodyBytes: number;
  readonly maxInFlightPerKey: number;
}

/** What the HTTP side serves from. */
export interface HttpSideOptions {
  host: string;
  port: number;
  wsPath: string;
  session: Omit<RpcSessionOptions, 'id'>;
  onSession: OnSession;
  registry: Registry;
  metrics: ServerMetrics;
  storage: StateReader;
  bus: Bus;
  /**
   * Origins whose pages may open a WebSocket (`*` for any), besides the listener's own; see
   * origin-policy.ts. @default every origin
   */
  allowedOrigins?: readonly string[];
  /** The HTTP API for backends; left out, `/api/v1` is 404 like any unknown path. */
  api?: HttpApiSettings;
}

/** What buildHttpApp builds: the app, and the routes it serves (`METHOD /path`). */
export interface HttpApp {
  readonly app: FastifyInstance;
  readonly routes: readonly string[];
}

/**
 * The fastify app of the HTTP side, not yet listening, with the node:http `server` it answers on
 * (made with `serverFactory`, so that the WebSocket upgrade shares the port).
 */
export async function buildHttpApp(
  opts: Omit<HttpSideOptions, 'host' | 'port' | 'wsPath' | 'session' | 'onSession'>,
  server: Server = createServer(),
): Promise<HttpApp> {
  const app = fastify({
    serverFactory: (handler) => server.on('request', handler),
    bodyLimit: opts.api?.maxBodyBytes ?? DEFAULT_API_MAX_BODY_BYTES,
    // Probes, metrics and a JSON API: no request logging here (the server's logger has the rest).
    logger: false,
    return503OnClosing: true,
  });
  // An empty body sent as JSON (`curl -X DELETE -H 'content-type: application/json'`) is no body;
  // anything else goes to fastify's own JSON parser (prototype poisoning refused).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body.length === 0) done(null, undefined);
    else void parseJson(req, body as string, done);
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, _req, reply) => {
    const { status, code, message } = httpErrorOf(err);
    void reply.code(status).send({ error: { code, message } });
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith(`${API_BASE}/`) || req.url === API_BASE) {
      void reply.code(404).send({
        error: {
          code: 'GREGOR_ERR_NOT_FOUND',
          message: `no ${req.method} ${req.url.split('?')[0]}`,
        },
      });
    } else {
      void reply
        .code(404)
        .type('text/plain')
        .header('cache-control', 'no-store')
        .send('not found\n');
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gregor server API',
        version: '1',
        description:
          "Publish, dismiss and read a user's notification items from a backend. Errors are `{ error: { code, message } }` with a stable GREGOR_ERR_… code.",
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  registerProbes(app, opts);
  if (opts.api !== undefined) {
    registerApiRoutes(app, {
      keys: opts.api.keys,
      backend: opts.api.backend,
      metrics: opts.metrics,
      maxInFlightPerKey: opts.api.maxInFlightPerKey,
    });
  }
  await app.ready();
  return { app, routes };
}

/** The HTTP status, code and public message an error is answered with. */
function httpErrorOf(err: unknown): { status: number; code: string; message: string } {
  if (isGregorError(err)) {
    const { code, message } = publicError(err);
    return { status: ERROR_CODES[code].http, code, message };
  }
  const fastifyError = err as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (
    fastifyError.validation !== undefined ||
    (status !== undefined && status >= 400 && status < 500)
  ) {
    // Validation (naming the field), bad JSON, a body over the limit, an unknown content type.
    const code = status === 413 ? 'GREGOR_ERR_INPUT_TOO_LARGE' : 'GREGOR_ERR_INPUT_INVALID';
    return {
      status: status ?? 400,
      code,
      message: fastifyError.message ?? ERROR_CODES[code].message,
    };
  }
  const { code, message } = publicError(err);
  return { status: 500, code, message };
}

/** /healthz, /readyz and /metrics: GET (and HEAD); any other method is 405. */
function registerProbes(
  app: FastifyInstance,
  opts: Pick<HttpSideOptions, 'registry' | 'storage' | 'bus'>,
): void {
  const probes: Record<string, () => Promise<{ status: number; type: string; body: string }>> = {
    '/healthz': async () => ({ status: 200, type: 'text/plain', body: 'ok\n' }),
    '/readyz': () => readiness(opts),
    '/metrics': async () => {
      try {
        return {
          status: 200,
          type: opts.registry.contentType,
          body: await opts.registry.metrics(),
        };
      } catch {
        return { status: 500, type: 'text/plain', body: 'metrics unavailable\n' };
      }
    },
  };
  for (const [url, answer] of Object.entries(probes)) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      const { status, type, body } = await answer();
      return reply.code(status).type(type).header('cache-control', 'no-store').send(body);
    });
    app.route({
      method: ['POST', 'PUT', 'DELETE', 'PATCH'],
      url,
      schema: { hide: true },
      handler: (_req, reply) => reply.code(405).header('allow', 'GET, HEAD').send(),
    });
  }
}

/**
 * /readyz: 200 when the storage answers a cheap query in time and the bus is ready, else 503. On a
 * Redis Cluster the body also lists each shard (`busShards`), so that the one down is named.
 */
async function readiness(
  opts: Pick<HttpSideOptions, 'storage' | 'bus'>,
): Promise<{ status: number; type: string; body: string }> {
  const isBusReady = opts.bus.isReady;
  let isStorageReady = true;
  try {
    const probe = { timeoutMs: READY_PROBE_TIMEOUT_MS };
    await withDeadline(opts.storage.latestCTime(PROBE_UID, null, probe), probe, 'readiness probe');
  } catch {
    isStorageReady = false;
  }
  const isReady = isBusReady && isStorageReady;
  const busShards = opts.bus.shards?.();
  return {
    status: isReady ? 200 : 503,
    type: 'application/json',
    body: JSON.stringify({
      ready: isReady,
      storage: isStorageReady,
      bus: isBusReady,
      ...(busShards === undefined ? {} : { busShards }),
    }),
  };
}

/** A listening HTTP server with its WebSocket attachment. */
export class HttpSide {
  readonly #server: Server;
  readonly #app: FastifyInstance;
  readonly #detachWebSocket: () => Promise<void>;
  readonly #opts: HttpSideOptions;

  private constructor(
    server: Server,
    app: FastifyInstance,
    detach: () => Promise<void>,
    opts: HttpSideOptions,
  ) {
    this.#server = server;
    this.#app = app;
    this.#detachWebSocket = detach;
    this.#opts = opts;
  }

  /** Listen; resolves once bound. Rejects with the socket error (e.g. EADDRINUSE). */
  static async listen(opts: HttpSideOptions): Promise<HttpSide> {
    // TCP keepalive on every accepted socket, as on the TCP listener: WebSocket clients vanish too.
    const server = createServer({ keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS });
    const { app } = await buildHttpApp(opts, server);
    let side: HttpSide | undefined;
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
    side = new HttpSide(server, app, () => ws.close(), opts);
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
      await app.close();
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
    await this.#app.close();
  }
}
