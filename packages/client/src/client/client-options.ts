/**
 * The options of a GregorClient, validated once at the edge: one zod schema turns
 * them into a frozen, fully defaulted settings object. A bad value is rejected with the option's
 * name (GREGOR_ERR_CONFIG_INVALID), never clamped, and the caller's object is never changed.
 */
import { z } from 'zod';
import { type GregorError, parseOptions } from '../errors.js';
import type { DeviceID, SessionToken, UID } from '../protocol/index.js';
import { type ReconnectPolicy, type RpcSession, reconnectPolicySchema } from '../rpc/browser.js';
import { type Clock, systemClock } from '../state/index.js';
import { type ClientLogger, silentClientLogger } from './client-logger.js';
import type { ClientStorage } from './client-storage.js';
import { DEFAULT_OUTBOX_INTERVAL_MS } from './outbox.js';
import { DEFAULT_STATUS_BUFFER } from './status-stream.js';
import { DEFAULT_SYNC_TIMEOUT_MS } from './syncer.js';
import { globalTimers, type Timers } from './timers.js';

/** Opens one RpcSession to gregord; `signal` aborts the attempt when the client closes. */
export type ConnectFn = (signal: AbortSignal) => Promise<RpcSession>;

/** An object that opens sessions (node.ts has `tcpConnector` and `webSocketConnector`). */
export interface Connector {
  /** Open one session; `signal` aborts the attempt. */
  connect(signal: AbortSignal): Promise<RpcSession>;
}

/** The session token, or a function asked for it before each login (to refresh it). */
export type TokenSource = SessionToken | (() => SessionToken | Promise<SessionToken>);

/** How long consumeMessage and the login may take, ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Everything a GregorClient is built from. */
export interface GregorClientOptions {
  /** The user whose state this client keeps. */
  uid: UID;
  /** This device; null or absent means none (all the user's items are visible). @default null */
  deviceID?: DeviceID | null;
  /** The session token to log in with (`authenticateSessionToken`). */
  token: TokenSource;
  /** Opens a session: a function or a Connector. Each session needs its own handler registry. */
  connect: ConnectFn | Connector;
  /** The source of "now" for the local state machine. @default systemClock */
  clock?: Clock;
  /** Timers of the outbox loop and of the reconnect delays. @default the global timers */
  timers?: Timers;
  /** Where the local copy is saved; none means it is not saved. */
  storage?: ClientStorage;
  /** When to reconnect after a failure; see ReconnectPolicy. @default retry for ever, with backoff */
  reconnect?: ReconnectPolicy<GregorError>;
  /** Period of the outbox loop, ms. @default 60000 */
  outboxIntervalMs?: number;
  /** Timeout of `sync` and of `state` (fresh sync), ms. @default 10000 */
  syncTimeoutMs?: number;
  /** Timeout of the login and of each consumeMessage, ms. @default 10000 */
  callTimeoutMs?: number;
  /** Statuses an iterator of `status()` buffers before it drops the oldest. @default 32 */
  statusBufferSize?: number;
  /** Structured logger (pino's satisfies it). @default silent */
  logger?: ClientLogger;
}

/** The validated, defaulted settings of a client (see GregorClientOptions for each field). */
export interface ClientSettings {
  readonly uid: UID;
  readonly deviceID: DeviceID | null;
  readonly token: () => Promise<SessionToken>;
  readonly connect: ConnectFn;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly storage: ClientStorage | undefined;
  readonly reconnect: ReconnectPolicy<GregorError> | undefined;
  readonly outboxIntervalMs: number;
  readonly syncTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly statusBufferSize: number;
  readonly logger: ClientLogger;
}

const isFunction = (v: unknown): boolean => typeof v === 'function';
const hasMethods =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' && v !== null && names.every((n) => isFunction(Reflect.get(v, n)));
const bytes = z.instanceof(Uint8Array, { message: 'must be a Uint8Array' });
const durationMs = z.number().int().positive().max(0x7fff_ffff);

const schema = z.strictObject({
  uid: bytes.refine((u) => u.length > 0, 'must not be empty'),
  deviceID: bytes.nullable().optional(),
  token: z.union([z.string().min(1), z.custom(isFunction, 'must be a string or a function')]),
  connect: z.custom(
    (v) => isFunction(v) || hasMethods('connect')(v),
    'must be a function or an object with connect()',
  ),
  clock: z.custom(hasMethods('now'), 'must have now()').optional(),
  timers: z.custom(hasMethods('setTimeout', 'clearTimeout'), 'must have setTimeout()').optional(),
  storage: z.custom(hasMethods('get', 'put'), 'must have get() and put()').optional(),
  reconnect: reconnectPolicySchema.optional(),
  outboxIntervalMs: durationMs.default(DEFAULT_OUTBOX_INTERVAL_MS),
  syncTimeoutMs: durationMs.default(DEFAULT_SYNC_TIMEOUT_MS),
  callTimeoutMs: durationMs.default(DEFAULT_CALL_TIMEOUT_MS),
  statusBufferSize: z.number().int().positive().default(DEFAULT_STATUS_BUFFER),
  logger: z.custom(hasMethods('debug', 'info', 'warn', 'error'), 'must be a logger').optional(),
});

function tokenSource(token: TokenSource): () => Promise<SessionToken> {
  return typeof token === 'function' ? async () => token() : async () => token;
}

/** Validate `opts`; throws GREGOR_ERR_CONFIG_INVALID naming the first offending option. */
export function resolveClientSettings(opts: GregorClientOptions): ClientSettings {
  const data = parseOptions('invalid client option', schema, opts ?? {});
  const connect = opts.connect;
  return Object.freeze({
    uid: opts.uid,
    deviceID: opts.deviceID ?? null,
    token: tokenSource(opts.token),
    connect: typeof connect === 'function' ? connect : (s: AbortSignal) => connect.connect(s),
    clock: opts.clock ?? systemClock,
    timers: opts.timers ?? globalTimers,
    storage: opts.storage,
    reconnect: opts.reconnect,
    outboxIntervalMs: data.outboxIntervalMs,
    syncTimeoutMs: data.syncTimeoutMs,
    callTimeoutMs: data.callTimeoutMs,
    statusBufferSize: data.statusBufferSize,
    logger: opts.logger ?? silentClientLogger,
  });
}
