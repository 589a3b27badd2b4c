/**
 * The options of a GregorServer, validated once at the edge: one zod schema turns
 * the tuning part into a fully defaulted, frozen object, and the components (storage, bus,
 * authenticator) are checked for presence. Bad values are rejected with the option's name, never
 * clamped, and the caller's object is never changed.
 */
import type { SecureContextOptions } from 'node:tls';
import { gregorError, parseOptions } from 'gregor-client/errors';
import { type ConsumeLimits, DEFAULT_CONSUME_LIMITS } from 'gregor-client/protocol';
import { type RpcLimitsInput, resolveRpcLimits } from 'gregor-client/rpc';
import {
  type Clock,
  MIN_BATCH_ROWS,
  quotaForFrame,
  type StateMachine,
  type UserQuota,
} from 'gregor-client/state/internal';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Authenticator } from '../auth/index.js';
import type { Bus } from '../pubsub/index.js';
import { ApiKeys } from './api-keys.js';
import type { Listener } from './listener.js';
import { DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY } from './mailbox.js';
import { MIN_RETENTION_MS, type RetentionOptions } from './retention-job.js';
import { DEFAULT_STORAGE_TIMEOUT_MS } from './storage-consumer.js';

/** The original gregord's `-broadcast-timeout` default, ms. */
export const DEFAULT_BROADCAST_TIMEOUT_MS = 10_000;
/** How long a login or a session re-check may wait for the authenticator, ms. */
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
/** How long a connection may stay without a successful login before it is closed. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 60_000;
/**
 * Largest frame read from a connection that has not logged in, bytes: a login is a few hundred
 * bytes, so a stranger cannot make the server buffer or decode more than this.
 */
export const DEFAULT_MAX_LOGIN_FRAME_BYTES = 64 * 1024;
/**
 * Largest frame read from a logged-in connection other than the superuser's, bytes. A client
 * sends one message per call (a body is at most 64 KiB by default), while the server's answers
 * (`state`) may need the whole `rpcLimits.maxFrameBytes`: reading less keeps what each connection
 * can make the server buffer and decompress small.
 */
export const DEFAULT_MAX_CLIENT_FRAME_BYTES = 1024 * 1024;
/** How long describeConnectedUsers waits for the other instances, ms. */
export const DEFAULT_GATHER_TIMEOUT_MS = 1_000;
/** How long close() waits for in-flight consumes before closing connections anyway, ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/**
 * How long a client's frame may take from its first byte to its last, ms, unless `rpcLimits` says
 * otherwise. A client's frames are small (a consume body is at most 64 KiB by default).
 */
export const DEFAULT_SERVER_FRAME_READ_TIMEOUT_MS = 30_000;
/** Reads (state, stateByCategoryPrefix, sync) one connection may have running at once. */
export const DEFAULT_MAX_READS_PER_CONNECTION = 4;
/** Reads of one user's data running at once on this instance, over all connections. */
export const DEFAULT_MAX_READS_PER_USER = 8;
/** The version string `gregor.1.incoming.version` answers when none is given. */
export const DEFAULT_SERVER_VERSION = 'gregord-ts';

/** A TCP (optionally TLS) listen address. Port 0 picks a free port. */
export interface TcpListenOptions {
  host: string;
  port: number;
  /** Listen with TLS using these credentials (key, cert, ca…). */
  tls?: SecureContextOptions;
}

/** The HTTP listen address: WebSocket upgrades (the same RPC), /metrics, /healthz, /readyz. */
export interface HttpListenOptions {
  host: string;
  port: number;
  /** The path that upgrades to a WebSocket RPC session. @default '/rpc' */
  wsPath?: string;
  /**
   * Origins (`https://app.example.com`, or `*`) whose browser pages may open a WebSocket session,
   * besides the listener's own origin; any other Origin header is answered 403. Clients that
   * send no Origin (everything but browsers) always may. @default every origin
   */
  allowedOrigins?: readonly string[];
  /** The HTTP API for backends under `/api/v1` (server-api.md). @default off (404) */
  api?: HttpApiOptions;
}

/** The HTTP API of an HTTP listener. */
export interface HttpApiOptions {
  /**
   * The keys a backend may present as `Authorization: Bearer <key>`: a list (each at least 16
   * characters, no spaces), or an ApiKeys that can be re-read (`ApiKeys.fromFile`). With no key,
   * the API answers 404 on every path.
   */
  keys: readonly string[] | ApiKeys;
  /** Largest request body, bytes; a larger one is refused (413) before it is read in full. @default 1 MiB */
  maxBodyBytes?: number;
  /** Requests one key may have in flight; more are answered 429 with `retry-after`. @default 64 */
  maxInFlightPerKey?: number;
}

/** Which components close() also closes. */
export interface OwnedComponents {
  /** @default false */
  stateMachine?: boolean;
  /** @default false */
  bus?: boolean;
  /** @default false */
  authenticator?: boolean;
}

/** Everything a GregorServer is built from. */
export interface GregorServerOptions {
  /** The state machine, already open (memory engine or `openSqlEngine`). */
  stateMachine: StateMachine;
  /** The bus to the other instances (InProcessBus for one process). */
  bus: Bus;
  /** Vouches for session tokens. */
  authenticator: Authenticator;
  /** Source of "now" (login times in logs). @default the state machine's clock */
  clock?: Clock;
  /** Where to listen: TCP/TLS and HTTP. At least one of tcp, http and `listeners`. */
  listen?: { tcp?: TcpListenOptions; http?: HttpListenOptions };
  /**
   * More transports to serve on, each a Listener (see listener.ts), started after `listen`'s in
   * this order; their names must differ from each other and from `tcp` and `http` when those are
   * set. @default none
   */
  listeners?: readonly Listener[];
  /** Limits on consumed messages (body size, category length…). @default DEFAULT_CONSUME_LIMITS */
  consumeLimits?: Partial<ConsumeLimits>;
  /**
   * Frame size, pending calls, write buffer… of every connection. @default the rpc defaults, but
   * a 30 s frame read timeout
   */
  rpcLimits?: RpcLimitsInput;
  /** Jobs that may wait per user before consumes are refused (GREGOR_ERR_OVERLOADED). @default 1000 */
  maxQueuedPerUser?: number;
  /**
   * Most live (undismissed, unexpired) items one user may hold; a creation past it is refused
   * with GREGOR_ERR_QUOTA_EXCEEDED. @default 10000, or fewer when a user's full state would not
   * fit in `rpcLimits.maxFrameBytes` (a given value that does not fit is refused)
   */
  maxItemsPerUser?: number;
  /**
   * Most body bytes over one user's live items (same rule as `maxItemsPerUser`).
   * @default 8 MiB, or less when it would not fit in `rpcLimits.maxFrameBytes`
   */
  maxBytesPerUser?: number;
  /** Reads one connection may run at once; more are refused (GREGOR_ERR_OVERLOADED). @default 4 */
  maxReadsPerConnection?: number;
  /** Reads of one user's data running at once, all connections together; more are refused. @default 8 */
  maxReadsPerUser?: number;
  /** Per-connection timeout of one broadcastMessage call, ms. @default 10000 */
  broadcastTimeoutMs?: number;
  /** Timeout of one authenticator call, ms. @default 10000 */
  authTimeoutMs?: number;
  /**
   * How long a connection may stay open without logging in, ms; 0 waits for ever as the Go
   * gregord did (it had no bound, which lets idle sockets pile up). @default 60000
   */
  loginTimeoutMs?: number;
  /**
   * Largest frame accepted from a connection before it logs in, bytes (compressed arguments
   * decompress to at most as much); after the login, `maxClientFrameBytes`. @default 65536
   */
  maxLoginFrameBytes?: number;
  /**
   * Largest frame read from a logged-in connection, bytes (decompressed arguments included); the
   * superuser's connections may send up to `rpcLimits.maxFrameBytes`. @default 1048576
   */
  maxClientFrameBytes?: number;
  /**
   * Logged-in connections one user may hold on this server; a login past it is refused with
   * GREGOR_ERR_CONNECTION_LIMIT and its connection closed. @default no limit (gregord: 128)
   */
  maxConnectionsPerUser?: number;
  /**
   * Connections from one remote IP address, logged in or not; one past it is closed at once.
   * @default no limit (gregord: 1024)
   */
  maxConnectionsPerAddress?: number;
  /** Timeout of one storage call, ms. @default 30000 */
  storageTimeoutMs?: number;
  /**
   * Delete what lies past a horizon (docs/data-model.md, "Retention"): a background job, on one
   * instance of the cluster at a time, deletes log rows older than `retentionMs` with their
   * dismissed or expired items; live items always stay. Needs a state machine with a retention
   * side (the memory and SQL engines). @default off: nothing is ever deleted
   */
  retention?: RetentionOptions;
  /** How long describeConnectedUsers waits for other instances, ms. @default 1000 */
  gatherTimeoutMs?: number;
  /** How long close() lets in-flight consumes finish, ms. @default 10000 */
  drainTimeoutMs?: number;
  /** The answer of `version`. @default 'gregord-ts' */
  version?: string;
  /** Structured logger. @default a silent pino logger */
  logger?: Logger;
  /** Registry for the metrics. @default a new one per server */
  metricsRegistry?: Registry;
  /** Components close() closes too. @default none */
  owns?: OwnedComponents;
}

const timeoutMs = z.number().int().positive().max(0x7fff_ffff);
const port = z.number().int().min(0).max(65_535);
const host = z.string().min(1);

const tuningSchema = z.strictObject({
  listen: z
    .strictObject({
      tcp: z.object({ host, port, tls: z.looseObject({}).optional() }).optional(),
      http: z
        .strictObject({
          host,
          port,
          wsPath: z.string().startsWith('/').optional(),
          allowedOrigins: z.array(z.string().min(1)).readonly().optional(),
          api: z
            .strictObject({
              keys: z.union([
                z.array(z.string()).readonly(),
                z.custom<ApiKeys>(
                  (v) => v instanceof ApiKeys,
                  'expected a list of keys or an ApiKeys',
                ),
              ]),
              maxBodyBytes: z.number().int().positive().optional(),
              maxInFlightPerKey: z.number().int().positive().optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .default({}),
  consumeLimits: z
    .strictObject({
      maxBodyBytes: z.number().int().positive().optional(),
      maxCategoryBytes: z.number().int().positive().optional(),
      maxIDBytes: z.number().int().positive().optional(),
      maxDismissalIDs: z.number().int().positive().optional(),
      maxRanges: z.number().int().positive().optional(),
      maxRemindTimes: z.number().int().nonnegative().optional(),
    })
    .default({}),
  maxQueuedPerUser: z.number().int().positive().default(DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY),
  maxItemsPerUser: z.number().int().positive().optional(),
  maxBytesPerUser: z.number().int().positive().optional(),
  maxReadsPerConnection: z.number().int().positive().default(DEFAULT_MAX_READS_PER_CONNECTION),
  maxReadsPerUser: z.number().int().positive().default(DEFAULT_MAX_READS_PER_USER),
  broadcastTimeoutMs: timeoutMs.default(DEFAULT_BROADCAST_TIMEOUT_MS),
  authTimeoutMs: timeoutMs.default(DEFAULT_AUTH_TIMEOUT_MS),
  loginTimeoutMs: z.number().int().min(0).max(0x7fff_ffff).default(DEFAULT_LOGIN_TIMEOUT_MS),
  maxLoginFrameBytes: z.number().int().min(64).default(DEFAULT_MAX_LOGIN_FRAME_BYTES),
  maxClientFrameBytes: z.number().int().min(64).default(DEFAULT_MAX_CLIENT_FRAME_BYTES),
  maxConnectionsPerUser: z.number().int().positive().optional(),
  maxConnectionsPerAddress: z.number().int().positive().optional(),
  storageTimeoutMs: timeoutMs.default(DEFAULT_STORAGE_TIMEOUT_MS),
  retention: z
    .strictObject({
      retentionMs: z.number().int().min(MIN_RETENTION_MS).max(Number.MAX_SAFE_INTEGER),
      intervalMs: timeoutMs.optional(),
      batchRows: z.number().int().min(MIN_BATCH_ROWS).max(10_000).optional(),
      leaseMs: timeoutMs.optional(),
    })
    .optional(),
  gatherTimeoutMs: timeoutMs.default(DEFAULT_GATHER_TIMEOUT_MS),
  drainTimeoutMs: timeoutMs.default(DEFAULT_DRAIN_TIMEOUT_MS),
  version: z.string().min(1).default(DEFAULT_SERVER_VERSION),
});

/** The validated, defaulted tuning of a server. */
export interface ServerSettings {
  readonly listen: { readonly tcp?: TcpListenOptions; readonly http?: HttpListenOptions };
  readonly consumeLimits: Readonly<ConsumeLimits>;
  readonly maxQueuedPerUser: number;
  /** What one user may hold; every consume of this server is checked against it. */
  readonly userQuota: UserQuota;
  readonly maxReadsPerConnection: number;
  readonly maxReadsPerUser: number;
  /** The largest answer a read may build: one frame (`rpcLimits.maxFrameBytes`). */
  readonly maxResultBytes: number;
  readonly broadcastTimeoutMs: number;
  readonly authTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly maxLoginFrameBytes: number;
  readonly maxClientFrameBytes: number;
  /** Absent: no limit. */
  readonly maxConnectionsPerUser?: number;
  /** Absent: no limit. */
  readonly maxConnectionsPerAddress?: number;
  readonly storageTimeoutMs: number;
  /** Absent: retention is off. */
  readonly retention?: Readonly<RetentionOptions>;
  readonly gatherTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly version: string;
}

/** The options that are components, not tuning: the compiler checks this list is complete. */
const COMPONENT_OPTIONS: Record<
  Exclude<keyof GregorServerOptions, keyof z.input<typeof tuningSchema>>,
  true
> = {
  stateMachine: true,
  bus: true,
  authenticator: true,
  clock: true,
  listeners: true,
  rpcLimits: true,
  logger: true,
  metricsRegistry: true,
  owns: true,
};
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(tuningSchema.shape),
  ...Object.keys(COMPONENT_OPTIONS),
]);

function requireComponent(value: unknown, name: string, method: string): void {
  const ok =
    typeof value === 'object' && value !== null && typeof Reflect.get(value, method) === 'function';
  if (!ok)
    throw gregorError('GREGOR_ERR_CONFIG_INVALID', `invalid server option: ${name} is required`);
}

/**
 * Validate `opts`; throws GREGOR_ERR_CONFIG_INVALID naming the first offending option.
 * Returns the frozen tuning; the components are used as given.
 */
export function resolveServerSettings(opts: GregorServerOptions): ServerSettings {
  for (const key of Object.keys(opts ?? {})) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `invalid server option: unknown option ${key}`,
      );
    }
  }
  requireComponent(opts?.stateMachine, 'stateMachine', 'consumeMessage');
  requireComponent(opts.bus, 'bus', 'publish');
  requireComponent(opts.authenticator, 'authenticator', 'authenticate');
  checkListeners(opts);
  const parsed = parseOptions('invalid server option', tuningSchema, {
    listen: opts.listen,
    consumeLimits: opts.consumeLimits,
    maxQueuedPerUser: opts.maxQueuedPerUser,
    maxItemsPerUser: opts.maxItemsPerUser,
    maxBytesPerUser: opts.maxBytesPerUser,
    maxReadsPerConnection: opts.maxReadsPerConnection,
    maxReadsPerUser: opts.maxReadsPerUser,
    broadcastTimeoutMs: opts.broadcastTimeoutMs,
    authTimeoutMs: opts.authTimeoutMs,
    loginTimeoutMs: opts.loginTimeoutMs,
    maxLoginFrameBytes: opts.maxLoginFrameBytes,
    maxClientFrameBytes: opts.maxClientFrameBytes,
    maxConnectionsPerUser: opts.maxConnectionsPerUser,
    maxConnectionsPerAddress: opts.maxConnectionsPerAddress,
    storageTimeoutMs: opts.storageTimeoutMs,
    retention: opts.retention,
    gatherTimeoutMs: opts.gatherTimeoutMs,
    drainTimeoutMs: opts.drainTimeoutMs,
    version: opts.version,
  });
  const { maxItemsPerUser, maxBytesPerUser, ...data } = parsed;
  const consumeLimits = Object.freeze({
    ...DEFAULT_CONSUME_LIMITS,
    ...stripUndefined(data.consumeLimits),
  });
  const { maxFrameBytes } = resolveRpcLimits(opts.rpcLimits);
  const given = stripUndefined({ maxItems: maxItemsPerUser, maxBytes: maxBytesPerUser });
  const userQuota = quotaForFrame(given, maxFrameBytes, consumeLimits);
  if (userQuota === null) {
    // A user filling this quota could never read its state again (its answer passes a frame).
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `invalid server option: maxItemsPerUser (${maxItemsPerUser ?? 'default'}) and maxBytesPerUser (${maxBytesPerUser ?? 'default'}) allow a state larger than rpcLimits.maxFrameBytes (${maxFrameBytes})`,
    );
  }
  return Object.freeze({
    ...data,
    listen: Object.freeze({ ...(opts.listen as ServerSettings['listen']) }),
    consumeLimits,
    userQuota: Object.freeze(userQuota),
    maxResultBytes: maxFrameBytes,
  });
}

/** At least one listener, each one a Listener, no two with the same name. */
function checkListeners(opts: GregorServerOptions): void {
  const invalid = (problem: string) =>
    gregorError('GREGOR_ERR_CONFIG_INVALID', `invalid server option: ${problem}`);
  const extra: unknown = opts.listeners ?? [];
  if (!Array.isArray(extra)) throw invalid('listeners must be an array');
  const names = new Set<string>();
  if (opts.listen?.tcp !== undefined) names.add('tcp');
  if (opts.listen?.http !== undefined) names.add('http');
  for (const [i, listener] of extra.entries()) {
    const has = (key: string) => typeof Reflect.get(Object(listener), key);
    if (has('start') !== 'function' || has('close') !== 'function') {
      throw invalid(`listeners[${i}] is not a Listener (no start or close method)`);
    }
    const name: unknown = Reflect.get(listener, 'name');
    if (typeof name !== 'string' || name === '') throw invalid(`listeners[${i}].name is required`);
    if (names.has(name)) throw invalid(`listeners[${i}].name ${name} is taken`);
    names.add(name);
  }
  if (names.size === 0) {
    throw invalid('at least one of listen.tcp, listen.http and listeners is required');
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
