/**
 * gregord's configuration, validated once at the edge: flags and environment
 * variables, named in config-table.ts, become one frozen, fully defaulted GregordConfig, or one
 * ConfigError (GREGOR_ERR_CONFIG_INVALID) listing every bad value and every conflict, each naming
 * the options involved as they were given. Nothing is clamped; the input is never changed.
 */
import { join } from 'node:path';
import { configError } from 'gregor-client/errors';
import { checkConflicts } from './config-conflicts.js';
import type { GivenOptions, GregordConfigInput, Values } from './config-schema.js';
import { CONFIG_ERROR_WHAT, parseValues } from './config-schema.js';
import type { OptionKey } from './config-table.js';
import type { FmprpcUri, ListenAddress, LogLevel, StorageSpec } from './config-values.js';

export type { GregordConfigInput } from './config-schema.js';
export type { FmprpcUri, ListenAddress, LogLevel, StorageSpec } from './config-values.js';

/** How gregord authenticates sessions (docs/configuration.md, "Authentication"). */
export type AuthConfig =
  | {
      readonly mode: 'signed-token';
      /** The given secret, or null: load or create `secretFile`. */
      readonly secret: string | null;
      readonly secretFile: string;
    }
  | {
      readonly mode: 'remote';
      readonly server: FmprpcUri;
      readonly superTokenRefreshIntervalMs: number;
      readonly timeoutMs: number;
      /** PEM of the CAs a TLS authd must chain to; null: the system CAs. */
      readonly ca: string | null;
    }
  | { readonly mode: 'mock' };

/** Bounds on what one connection or user may hold, so no client can exhaust the server. */
export interface LimitsConfig {
  readonly maxFrameBytes: number;
  readonly maxLoginFrameBytes: number;
  readonly maxClientFrameBytes: number;
  readonly maxBodyBytes: number;
  readonly maxConcurrentCalls: number;
  readonly maxWriteBufferBytes: number;
  readonly maxQueuedPerUser: number;
  readonly storageQueueSize: number;
  /**
   * The per-user quota as given; a part left at its default is undefined, so the server shrinks
   * it to fit the frame (quotaForFrame).
   */
  readonly maxItemsPerUser: number | undefined;
  readonly maxBytesPerUser: number | undefined;
  readonly maxReadsPerConnection: number;
  readonly maxReadsPerUser: number;
  /** Logged-in connections of one user on this instance. */
  readonly maxConnectionsPerUser: number;
  /** Connections from one remote IP address. */
  readonly maxConnectionsPerAddress: number;
}

/** How long each wait on a peer may take, ms. */
export interface DeadlinesConfig {
  /** One database read or transaction. */
  readonly storageQueryMs: number;
  /** One frame, from its first byte to its last. */
  readonly frameReadMs: number;
}

/** Everything gregord needs to start, frozen. */
export interface GregordConfig {
  /** The framed msgpack-rpc listener, or null when off. */
  readonly tcp:
    | (ListenAddress & { readonly tls: { readonly cert: string; readonly key: string } | null })
    | null;
  /** The HTTP listener (WebSocket, metrics, health), or null when off. */
  readonly http: ListenAddress | null;
  /**
   * Origins whose pages may open a WebSocket (`*` for any); the listener's own origin and clients
   * sending no Origin always may. Null: any origin.
   */
  readonly wsAllowedOrigins: readonly string[] | null;
  /** The HTTP API on the HTTP listener: its keys file (null: off), body and in-flight bounds. */
  readonly api: {
    readonly keysFile: string | null;
    readonly maxBodyBytes: number;
    readonly maxInFlightPerKey: number;
  };
  readonly storage: StorageSpec;
  /** Redis for pub/sub (its password included), or null for a cluster or the in-process bus. */
  readonly redisUrl: string | null;
  /** A Redis Cluster for pub/sub: some of its nodes and their password; null when not chosen. */
  readonly redisCluster: {
    readonly nodes: readonly string[];
    readonly password: string | null;
  } | null;
  /** PEM of the CAs a rediss:// Redis must chain to; null: the system CAs. */
  readonly redisTlsCa: string | null;
  /** Prefix of every Redis channel (RedisBus channelPrefix). */
  readonly redisChannelPrefix: string;
  readonly auth: AuthConfig;
  readonly dataDir: string;
  readonly broadcastTimeoutMs: number;
  /** How long checking one session token may take, ms. */
  readonly authTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly limits: LimitsConfig;
  readonly deadlines: DeadlinesConfig;
  /** How long the message log is kept, ms (docs/data-model.md, "Retention"); null: for ever. */
  readonly retentionMs: number | null;
  readonly workers: number;
  readonly logLevel: LogLevel;
  readonly childMode: boolean;
  /** True when no storage, bus or authentication was chosen: gregord says how to get started. */
  readonly isEmbeddedDefault: boolean;
}

/**
 * Turn flags and environment into a frozen GregordConfig. Throws ConfigError
 * (GREGOR_ERR_CONFIG_INVALID) naming every bad or conflicting option; the CLI exits 1 on it.
 */
export function parseGregordConfig(input: GregordConfigInput = {}): GregordConfig {
  const { values: v, given } = parseValues(input);
  const problems = checkConflicts(v, given);
  if (problems.length > 0) {
    throw configError(
      CONFIG_ERROR_WHAT,
      problems.map((message) => ({ message })),
    );
  }
  return deepFreeze(buildConfig(v, given));
}

function pickStorage(v: Values, given: GivenOptions): StorageSpec {
  // MYSQL_DSN is the original gregord's setting, kept as a fallback: it is used when
  // storage was not chosen, or when it was given as a flag and GREGOR_STORAGE only as a variable.
  const mysql = given.mysqlDsn;
  const storageSource = given.storage?.source;
  const useMysql =
    mysql !== undefined &&
    (storageSource === 'default' || (mysql.source === 'flag' && storageSource === 'env'));
  return (useMysql ? v.mysqlDsn : v.storage) as StorageSpec;
}

function pickAuth(v: Values): AuthConfig {
  if (v.mockAuth === true) return { mode: 'mock' };
  if (v.authServer !== undefined) {
    return {
      mode: 'remote',
      server: v.authServer,
      superTokenRefreshIntervalMs: v.superTokenRefreshInterval as number,
      timeoutMs: v.authTimeout as number,
      ca: v.tlsCa ?? null,
    };
  }
  return {
    mode: 'signed-token',
    secret: v.tokenSecret ?? null,
    secretFile: join(v.dataDir as string, 'token-secret'),
  };
}

function buildConfig(v: Values, given: GivenOptions): GregordConfig {
  const tls =
    v.tlsCert !== undefined && v.tlsKey !== undefined ? { cert: v.tlsCert, key: v.tlsKey } : null;
  const auth = pickAuth(v);
  const storage = pickStorage(v, given);
  const explicitLevel = given.logLevel?.source !== 'default';
  return {
    tcp: v.bindAddress === null || v.bindAddress === undefined ? null : { ...v.bindAddress, tls },
    http: v.httpAddress ?? null,
    // --mock-auth lets any page that reaches the listener be anyone: only its own origin, then.
    wsAllowedOrigins: v.wsAllowedOrigins ?? (auth.mode === 'mock' ? [] : null),
    api: {
      keysFile: v.apiKeysFile ?? null,
      maxBodyBytes: v.apiMaxBodyBytes as number,
      maxInFlightPerKey: v.apiMaxInFlight as number,
    },
    storage,
    redisUrl: v.redisUrl === undefined ? null : withPassword(v.redisUrl, v.redisPassword),
    redisCluster:
      v.redisClusterNodes === undefined
        ? null
        : { nodes: v.redisClusterNodes, password: v.redisPassword ?? null },
    redisTlsCa: v.redisUrl?.startsWith('rediss:') === true ? (v.tlsCa ?? null) : null,
    redisChannelPrefix: v.redisChannelPrefix as string,
    auth,
    dataDir: v.dataDir as string,
    broadcastTimeoutMs: v.broadcastTimeout as number,
    authTimeoutMs: v.authTimeout as number,
    loginTimeoutMs: v.loginTimeout as number,
    shutdownTimeoutMs: v.shutdownTimeout as number,
    limits: {
      maxFrameBytes: v.maxFrameBytes as number,
      maxLoginFrameBytes: v.maxLoginFrameBytes as number,
      maxClientFrameBytes: v.maxClientFrameBytes as number,
      maxBodyBytes: v.maxBodyBytes as number,
      maxConcurrentCalls: v.maxConcurrentCalls as number,
      maxWriteBufferBytes: v.maxWriteBufferBytes as number,
      maxQueuedPerUser: v.maxQueuedPerUser as number,
      storageQueueSize: v.storageQueueSize as number,
      maxItemsPerUser: isGiven(given.maxItemsPerUser) ? v.maxItemsPerUser : undefined,
      maxBytesPerUser: isGiven(given.maxBytesPerUser) ? v.maxBytesPerUser : undefined,
      maxReadsPerConnection: v.maxReadsPerConnection as number,
      maxReadsPerUser: v.maxReadsPerUser as number,
      maxConnectionsPerUser: v.maxConnectionsPerUser as number,
      maxConnectionsPerAddress: v.maxConnectionsPerAddress as number,
    },
    deadlines: {
      storageQueryMs: v.storageQueryTimeout as number,
      frameReadMs: v.frameReadTimeout as number,
    },
    retentionMs: v.retention ?? null,
    workers: v.workers as number,
    logLevel: v.debug === true && !explicitLevel ? 'debug' : (v.logLevel as LogLevel),
    childMode: v.childMode === true,
    isEmbeddedDefault:
      given.storage?.source === 'default' &&
      given.mysqlDsn === undefined &&
      v.redisUrl === undefined &&
      v.redisClusterNodes === undefined &&
      auth.mode === 'signed-token' &&
      auth.secret === null,
  };
}

const isGiven = (g: GivenOptions[OptionKey]): boolean => g !== undefined && g.source !== 'default';

/** `url` with `password` as its password (URL-encoded), or as it is without one. */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
