/**
 * gregord inside another Node program: `createServer(options)` takes gregord's options as an
 * object, with the names and defaults of the option table (config-table.ts), turns them into the
 * text gregord's flags would carry and hands that to the same parser (parseGregordConfig) and the
 * same bootstrap (startGregord) as the command. So there is one set of defaults and one set of
 * checks, the mock authenticator's loopback-only rule included; only the names in the messages
 * are the object's (`listen.tcp`, not `--bind-address`).
 */

import { gregorError, isGregorError } from 'gregor-client/errors';
import type { Clock } from 'gregor-client/state';
import { type Logger, pino } from 'pino';
import { mintToken, type TokenSecret } from '../auth/index.js';
import { API_BASE, type GregorServer, type ServerAddresses } from '../server/index.js';
import { startGregord } from './bootstrap.js';
import { type GregordConfig, parseGregordConfig } from './config.js';
import { CONFIG_TABLE, type OptionKey } from './config-table.js';
import type { LogLevel } from './config-values.js';
import { parseDurationMs } from './config-values.js';
import { readTokenSecretFile } from './token-secret-file.js';

type TableRow = (typeof CONFIG_TABLE)[number];
/** Table options the object spells differently (`listen`, `auth`) or that only a process has. */
type NotAnOption =
  | 'bindAddress'
  | 'httpAddress'
  | 'tokenSecret'
  | 'authServer'
  | 'mockAuth'
  | 'mysqlDsn'
  | 'workers'
  | 'debug'
  | 'childMode';
type ValueOfUnit<U> = U extends 'duration' | 'bytes' | 'count'
  ? number | string
  : U extends 'origins'
    ? string | readonly string[]
    : U extends 'level'
      ? LogLevel
      : string;

/**
 * The options of gregord's table under their table names (`storage`, `dataDir`, `maxBodyBytes`,
 * `broadcastTimeout`, …; see docs/configuration.md). Durations are ms as a number or text such as
 * `'10s'`; sizes are bytes as a number or text such as `'64KiB'`.
 */
export type TableServerOptions = {
  [K in Exclude<OptionKey, NotAnOption>]?: ValueOfUnit<Extract<TableRow, { key: K }>['unit']>;
};

/** A listener: `'HOST:PORT'`, `{ host, port }` (port 0 picks a free one), or off. */
export type ListenOption = string | { host?: string; port: number } | null | false;

/**
 * How sessions are authenticated:
 * - left out, or `{}`: signed tokens with the secret in `<dataDir>/token-secret`, created once;
 * - `{ tokenSecret }`: signed tokens with this secret (≥ 16 bytes);
 * - `{ authd: 'fmprpc://HOST:PORT' }`: a Keybase-compatible authd (`fmprpc+tls://` for TLS);
 * - `'mock'` or `{ mock: true }`: development only, any token naming a uid logs in as that uid;
 *   refused unless every listener is on loopback.
 */
export type AuthOption = { tokenSecret?: string } | { authd: string } | 'mock' | { mock: true };

/** The options of `createServer`. */
export interface CreateServerOptions extends TableServerOptions {
  auth?: AuthOption;
  /** @default { tcp: '127.0.0.1:9911', http: '127.0.0.1:9912' }, as gregord */
  listen?: { tcp?: ListenOption; http?: ListenOption };
  /** Where logs go. @default pino on stdout at `logLevel` */
  logger?: Logger;
  /** Source of "now" (tests). @default the system clock */
  clock?: Clock;
  /**
   * Keys for the HTTP API under `/api/v1` (docs/server-api.md), each at least 16 characters; or
   * give `apiKeysFile`. @default none: the API answers 404
   */
  apiKeys?: readonly string[];
}

/** Options of `EmbeddedServer.mintToken`. */
export interface MintOptions {
  /** Lifetime: ms, or text such as `'1h'`. @default 24h */
  ttl?: number | string;
  /** Session ID, `[A-Za-z0-9_-]{1,64}`. @default random */
  sid?: string;
  /** Username reported at login. @default '' */
  username?: string;
}

/** A running embedded gregord. */
export interface EmbeddedServer {
  /** The configuration it runs with, as gregord would have read it. */
  readonly config: GregordConfig;
  /** What the listeners bound (the real ports when 0 was asked). */
  readonly addresses: ServerAddresses;
  /**
   * Where clients connect: `fmprpc://…` (or `fmprpc+tls://…`) and `ws://…/rpc`, when listening;
   * and where backends call the HTTP API (`http://…/api/v1`), when it has keys.
   */
  readonly urls: { readonly fmprpc?: string; readonly ws?: string; readonly api?: string };
  /** The server itself, for what this interface leaves out (hub, revokeSessions, …). */
  readonly server: GregorServer;
  /** Mint a session token for `uid` (hex or bytes). Only with signed tokens (the default auth). */
  mintToken(uid: string | Uint8Array, options?: MintOptions): string;
  /** The Prometheus text `/metrics` serves. */
  metrics(): Promise<string>;
  /**
   * Read `apiKeysFile` again (what gregord does on SIGHUP); resolves with the number of keys now
   * valid. A bad file keeps the keys as they were and rejects (GREGOR_ERR_CONFIG_INVALID).
   */
  reloadApiKeys(): Promise<number>;
  /** Graceful stop, as gregord on SIGTERM; idempotent. */
  close(): Promise<void>;
}

/** Keys that are not table options: the object's own. */
const OWN_KEYS = new Set(['auth', 'listen', 'logger', 'clock', 'apiKeys']);
const TABLE_KEYS = new Set<string>(CONFIG_TABLE.map((row) => row.key));
const UNIT_OF = new Map<string, string>(CONFIG_TABLE.map((row) => [row.key, row.unit]));
const EXCLUDED: ReadonlySet<string> = new Set<NotAnOption>([
  'bindAddress',
  'httpAddress',
  'tokenSecret',
  'authServer',
  'mockAuth',
  'mysqlDsn',
  'workers',
  'debug',
  'childMode',
]);

/** What the object calls each flag, for messages. */
const OBJECT_NAME: Readonly<Record<string, string>> = {
  bindAddress: 'listen.tcp',
  httpAddress: 'listen.http',
  tokenSecret: 'auth.tokenSecret',
  authServer: 'auth.authd',
  mockAuth: "auth: 'mock'",
};

function invalid(problem: string): Error {
  return gregorError('GREGOR_ERR_CONFIG_INVALID', `invalid createServer options: ${problem}`);
}

function listenText(value: ListenOption, name: string): string {
  if (value === null || value === false) return 'off';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && Number.isInteger(value.port)) {
    const host = value.host ?? '127.0.0.1';
    return host.includes(':') ? `[${host}]:${value.port}` : `${host}:${value.port}`;
  }
  throw invalid(`${name}: expected 'HOST:PORT', { host, port } or null`);
}

function optionText(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    return UNIT_OF.get(key) === 'duration' ? `${value}ms` : String(value);
  }
  if (Array.isArray(value) && UNIT_OF.get(key) === 'origins') return value.join(',');
  throw invalid(`${key}: expected text or a number, got ${JSON.stringify(value)}`);
}

function authFlags(auth: AuthOption | undefined): Partial<Record<OptionKey, string | boolean>> {
  if (auth === undefined) return {};
  if (auth === 'mock') return { mockAuth: true };
  if (typeof auth === 'object' && auth !== null) {
    const keys = Object.keys(auth);
    if ('mock' in auth && auth.mock === true && keys.length === 1) return { mockAuth: true };
    if ('authd' in auth && typeof auth.authd === 'string' && keys.length === 1) {
      return { authServer: auth.authd };
    }
    if (keys.length === 0) return {};
    if ('tokenSecret' in auth && typeof auth.tokenSecret === 'string' && keys.length === 1) {
      return { tokenSecret: auth.tokenSecret };
    }
  }
  throw invalid(
    "auth: expected { tokenSecret }, { authd: 'fmprpc://HOST:PORT' }, 'mock' or { mock: true }",
  );
}

/** The options as gregord's flags: the text each flag would carry, keyed by table key. */
export function serverOptionsToFlags(
  options: CreateServerOptions,
): Partial<Record<OptionKey, string | boolean>> {
  const flags: Partial<Record<OptionKey, string | boolean>> = authFlags(options.auth);
  for (const [key, value] of Object.entries(options)) {
    if (OWN_KEYS.has(key) || value === undefined) continue;
    if (!TABLE_KEYS.has(key) || EXCLUDED.has(key)) throw invalid(`unknown option ${key}`);
    flags[key as OptionKey] = optionText(key, value);
  }
  const { tcp, http } = options.listen ?? {};
  if (tcp !== undefined) flags.bindAddress = listenText(tcp, 'listen.tcp');
  if (http !== undefined) flags.httpAddress = listenText(http, 'listen.http');
  return flags;
}

/** gregord's message, naming the object's options instead of the flags. */
function withObjectNames(err: unknown): unknown {
  if (!isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID')) return err;
  let message = err.message;
  // Longest flags first, so that no flag is replaced inside a longer one.
  const rows = [...CONFIG_TABLE].sort((a, b) => b.flag.length - a.flag.length);
  for (const row of rows) {
    const variable = row.env === null ? '' : `(?: \\(${row.env}\\))?`;
    const pattern = new RegExp(`${row.flag}(?![\\w-])${variable}`, 'g');
    message = message.replace(pattern, OBJECT_NAME[row.key] ?? row.key);
  }
  return gregorError(
    'GREGOR_ERR_CONFIG_INVALID',
    message.replace(/^invalid configuration/, 'invalid createServer options'),
    { cause: err },
  );
}

function urlsOf(
  config: GregordConfig,
  addresses: ServerAddresses,
  hasApi: boolean,
): EmbeddedServer['urls'] {
  const { tcp, http } = addresses;
  const host = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  return {
    ...(tcp === undefined
      ? {}
      : { fmprpc: `${config.tcp?.tls ? 'fmprpc+tls' : 'fmprpc'}://${host(tcp.host)}:${tcp.port}` }),
    ...(http === undefined ? {} : { ws: `ws://${host(http.host)}:${http.port}/rpc` }),
    ...(http === undefined || !hasApi
      ? {}
      : { api: `http://${host(http.host)}:${http.port}${API_BASE}` }),
  };
}

/** The secret signed tokens are checked with, or null under another authentication. */
async function tokenSecretOf(config: GregordConfig): Promise<TokenSecret | null> {
  if (config.auth.mode !== 'signed-token') return null;
  // startGregord has created the file when it was missing.
  return config.auth.secret ?? (await readTokenSecretFile(config.auth.secretFile)).secret;
}

/**
 * Start gregord in this process. Rejects with GREGOR_ERR_CONFIG_INVALID naming every bad option,
 * GREGOR_ERR_SETUP_FAILED (storage, bus, data directory) or GREGOR_ERR_LISTEN_FAILED, as gregord
 * exits with; nothing is left open or created when it rejects.
 */
export async function createServer(options: CreateServerOptions = {}): Promise<EmbeddedServer> {
  let config: GregordConfig;
  try {
    // No environment: a library reads only what its caller gives it.
    config = parseGregordConfig({ flags: serverOptionsToFlags(options), env: {} });
  } catch (err) {
    throw withObjectNames(err);
  }
  if (options.apiKeys !== undefined && config.http === null) {
    throw invalid('apiKeys: the HTTP API is served on listen.http, which is off');
  }
  const logger = options.logger ?? pino({ level: config.logLevel, name: 'gregord' });
  const running = await startGregord(config, {
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
  });
  let secret: TokenSecret | null;
  try {
    secret = await tokenSecretOf(config);
  } catch (err) {
    await running.close();
    throw err;
  }
  return {
    config,
    addresses: running.addresses,
    urls: urlsOf(
      config,
      running.addresses,
      options.apiKeys !== undefined || config.api.keysFile !== null,
    ),
    server: running.server,
    mintToken(uid, mint = {}) {
      if (secret === null) {
        throw gregorError(
          'GREGOR_ERR_CONFIG_INVALID',
          `mintToken needs signed tokens; this server authenticates with ${config.auth.mode}`,
        );
      }
      const ttlMs = typeof mint.ttl === 'string' ? parseDurationMs(mint.ttl) : mint.ttl;
      return mintToken(
        {
          uid,
          ...(ttlMs === undefined ? {} : { ttlMs }),
          ...(mint.sid === undefined ? {} : { sid: mint.sid }),
          ...(mint.username === undefined ? {} : { username: mint.username }),
        },
        secret,
      );
    },
    metrics: () => running.server.metrics.registry.metrics(),
    reloadApiKeys: () => running.reloadApiKeys(),
    close: () => running.close(),
  };
}
