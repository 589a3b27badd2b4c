/**
 * How each kind of option value is read from its text (a flag or an environment variable): zod
 * schemas from string to the typed value, each rejecting with a message that says what was
 * expected and what was given. config.ts prefixes the option's name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseGregorAddress } from 'gregor-client';
import { z } from 'zod';
import { ANY_ORIGIN, MIN_RETENTION_MS } from '../server/internal.js';
import { DIALECT_NAME, parseStorageUrl, redactPassword } from '../storage/index.js';

/** Longest duration a Node timer can wait, in ms (setTimeout's 32-bit limit). */
export const MAX_DURATION_MS = 0x7fff_ffff;

/** A parsed `HOST:PORT` listener address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Where state is kept, as `--storage` names it. */
export type StorageSpec =
  | { readonly kind: 'memory'; readonly url: 'memory:' }
  | { readonly kind: 'sqlite'; readonly url: string; readonly path: string }
  | { readonly kind: 'postgres' | 'mysql'; readonly url: string };

/** A parsed `fmprpc://` or `fmprpc+tls://` URI (docs/protocol.md, "Transports"). */
export interface FmprpcUri {
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly isTls: boolean;
}

/** The log levels pino knows, plus `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A zod schema from text to `T`; `parse` throws an Error whose message becomes the issue. */
function fromText<T>(parse: (text: string) => T): z.ZodType<T, string> {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
  });
}

const quoted = (text: string): string =>
  JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * `10s`, `200ms`, `1h`, `1m30s`, `1.5s`, `30d` → ms; a unit is required. At most `maxMs` (by
 * default what a timer can wait, about 24.8 days).
 */
export function parseDurationMs(text: string, maxMs = MAX_DURATION_MS): number {
  const pieces = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (pieces.length === 0 || pieces.map((p) => p[0]).join('') !== text.trim()) {
    throw new Error(
      `expected a duration such as 10s, 200ms, 1h, 1m30s or 30d, got ${quoted(text)}`,
    );
  }
  const ms = pieces.reduce(
    (sum, p) => sum + Number(p[1]) * (DURATION_UNITS_MS[p[2] as string] ?? 0),
    0,
  );
  if (!Number.isInteger(ms) || ms <= 0 || ms > maxMs) {
    throw new Error(
      `expected a whole number of ms between 1ms and ${maxMs}ms, got ${quoted(text)}`,
    );
  }
  return ms;
}

/** The longest retention gregord takes: 100 years (a horizon, not a timer). */
export const MAX_RETENTION_MS = 36_500 * DURATION_UNITS_MS.d!;

/** `off` → null; else a duration of at least MIN_RETENTION_MS (`30d`, `12h`…). */
export function parseRetention(text: string): number | null {
  if (text.trim() === 'off') return null;
  const ms = parseDurationMs(text, MAX_RETENTION_MS);
  if (ms < MIN_RETENTION_MS) {
    throw new Error(
      `expected "off" or a retention of at least 1h (a resent message must find its log row), got ${quoted(text)}`,
    );
  }
  return ms;
}

const BYTE_UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** `65536`, `64KiB`, `16MiB`, `1GiB` → bytes (positive, at most 4 GiB - 1). */
export function parseBytes(text: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(text.trim());
  const bytes = match === null ? Number.NaN : Number(match[1]) * (BYTE_UNITS[match[2] ?? ''] ?? 1);
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > 0xffff_ffff) {
    throw new Error(
      `expected a size in bytes such as 65536, 64KiB or 16MiB (at most 4GiB-1), got ${quoted(text)}`,
    );
  }
  return bytes;
}

/** A positive decimal integer up to `max`. */
export function parseCount(text: string, max = 1_000_000_000): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new Error(`expected a whole number from 1 to ${max}, got ${quoted(text)}`);
  }
  return n;
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (every interface, as Go's net.Listen reads it) → address;
 * `off` → null. The port must fit in 16 bits; 0 picks a free one. A listen address, not a
 * dial address: those (parseGregorAddress in gregor-client) need a host and a port from 1.
 */
export function parseListenAddress(text: string): ListenAddress | null {
  if (text === 'off') return null;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 0xffff) {
    throw new Error(`expected HOST:PORT (port 0-65535) or "off", got ${quoted(text)}`);
  }
  const host = match[1] ?? (match[2] === '' ? '0.0.0.0' : (match[2] as string));
  return { host, port };
}

/**
 * `memory:` (gregord's own: the in-memory engine), or any database URL the storage layer reads
 * (storage-url.ts) → a storage spec. The error quotes the storage layer's, word for word.
 */
export function parseStorage(text: string): StorageSpec {
  if (text === 'memory:' || text === 'memory://') return { kind: 'memory', url: 'memory:' };
  let parsed: ReturnType<typeof parseStorageUrl>;
  try {
    parsed = parseStorageUrl(text);
  } catch (err) {
    // gregord also takes memory:, which the storage layer does not know: say both.
    throw new Error(`expected memory: or a database URL; ${(err as Error).message}`);
  }
  return parsed.dialect === DIALECT_NAME.sqlite
    ? { kind: 'sqlite', url: parsed.url, path: parsed.path }
    : { kind: parsed.dialect, url: parsed.url };
}

/** A mysql:// or mariadb:// URL, or Go's DSN `user:pass@tcp(host:port)/db?params` as a mysql:// URL. */
export function parseMysqlDsn(text: string): StorageSpec {
  if (/^(mysql|mariadb):\/\//i.test(text)) return parseStorage(text);
  const match = /^(?:([^@]*)@)?(?:tcp\(([^)]*)\))?\/([^?]*)(\?.*)?$/.exec(text);
  if (match === null) {
    throw new Error(
      `expected a mysql:// URL or user:pass@tcp(host:port)/db, got ${quoted(redact(text))}`,
    );
  }
  const [, auth, hostPort, db, params] = match;
  const credentials = auth === undefined ? '' : `${auth}@`;
  return parseStorage(`mysql://${credentials}${hostPort || '127.0.0.1:3306'}/${db}${params ?? ''}`);
}

/** The text with any `user:password@` password replaced, for messages. */
export const redact = redactPassword;

/**
 * `fmprpc://HOST:PORT` or `fmprpc+tls://HOST:PORT`: a dial address, read by gregor-client's
 * parseGregorAddress, but with the scheme required (the original gregord's -auth-server is a URI).
 */
export function parseFmprpcUri(text: string): FmprpcUri {
  if (!/^fmprpc(\+tls)?:\/\//.test(text)) {
    throw new Error(`expected fmprpc://HOST:PORT or fmprpc+tls://HOST:PORT, got ${quoted(text)}`);
  }
  return { uri: text, ...parseGregorAddress(text) };
}

/** `redis://…` or `rediss://…`, with user and password if any. */
export function parseRedisUrl(text: string): string {
  if (!/^rediss?:\/\/./.test(text) || !URL.canParse(text)) {
    throw new Error(
      `expected redis://[USER[:PASSWORD]@]HOST:PORT or rediss://…, got ${quoted(redact(text))}`,
    );
  }
  return text;
}

/**
 * Redis Cluster nodes: `HOST:PORT` entries separated by commas or spaces, each with a host (a
 * name, an IPv4 address or a bracketed IPv6 one) and a port from 1.
 */
export function parseClusterNodes(text: string): readonly string[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('expected HOST:PORT of one or more cluster nodes');
  return entries.map((entry) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 0xffff) {
      throw new Error(`expected HOST:PORT of a cluster node (port 1-65535), got ${quoted(entry)}`);
    }
    return entry;
  });
}

/**
 * A password: any text without control characters (a stray newline or tab is a copying mistake,
 * not part of a password). An empty variable counts as unset before this.
 */
export function parsePassword(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
  if (text === '' || /[\x00-\x1f\x7f]/.test(text)) {
    throw new Error('expected a password without control characters (no newline, no tab)');
  }
  return text;
}

/**
 * A list of web origins, separated by commas or spaces: each `*` or `scheme://host[:port]` with
 * nothing after it, normalized the way a browser sends the Origin header (lower-case host, no
 * default port).
 */
export function parseOriginList(text: string): readonly string[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0)
    throw new Error('expected origins such as https://app.example.com or *');
  return entries.map((entry) => {
    if (entry === ANY_ORIGIN) return ANY_ORIGIN;
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const isBareOrigin =
      url !== undefined &&
      url.origin !== 'null' &&
      url.pathname === '/' &&
      url.search === '' &&
      url.hash === '' &&
      url.username === '' &&
      url.password === '';
    if (!isBareOrigin) {
      throw new Error(
        `expected an origin such as https://app.example.com (scheme, host, optional port, no path) or *, got ${quoted(entry)}`,
      );
    }
    return url.origin;
  });
}

/** PEM text given inline, or read from a path or file:// URL (read once, at startup). */
export function readPem(text: string): string {
  if (text.trimStart().startsWith('-----BEGIN ')) return text;
  const path = text.startsWith('file://') ? fileURLToPath(text) : text;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read ${quoted(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  if (!pem.includes('-----BEGIN ')) throw new Error(`${quoted(path)} holds no PEM block`);
  return pem;
}

/**
 * An environment switch: unset, empty, `0`, `false`, `no` or `off` are false, anything else is
 * true (the original gregord treated any non-empty DEBUG as true).
 */
export function parseSwitch(text: string): boolean {
  return !['', '0', 'false', 'no', 'off'].includes(text.trim().toLowerCase());
}

/** One of {@link LOG_LEVELS}. */
export function parseLogLevel(text: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === text.trim().toLowerCase());
  if (level === undefined)
    throw new Error(`expected one of ${LOG_LEVELS.join(', ')}, got ${quoted(text)}`);
  return level;
}

/** A token secret: at least 16 bytes of UTF-8 (the HMAC key). */
export function parseSecret(text: string): string {
  if (Buffer.byteLength(text, 'utf8') < 16) throw new Error('must be at least 16 bytes long');
  return text;
}

/** A Redis channel prefix: 1–64 printable ASCII characters without spaces. */
export function parseChannelPrefix(text: string): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(text)) {
    throw new Error(`expected 1 to 64 printable characters without spaces, got ${quoted(text)}`);
  }
  return text;
}

/** Zod schemas from text for each parser above. */
export const VALUE = {
  duration: fromText((t) => parseDurationMs(t)),
  retention: fromText(parseRetention),
  bytes: fromText(parseBytes),
  count: fromText((t) => parseCount(t)),
  workers: fromText((t) => parseCount(t, 256)),
  address: fromText(parseListenAddress),
  addresses: fromText(parseClusterNodes),
  storage: fromText(parseStorage),
  mysqlDsn: fromText(parseMysqlDsn),
  fmprpc: fromText(parseFmprpcUri),
  redis: fromText(parseRedisUrl),
  password: fromText(parsePassword),
  origins: fromText(parseOriginList),
  pem: fromText(readPem),
  switch: fromText(parseSwitch),
  logLevel: fromText(parseLogLevel),
  secret: fromText(parseSecret),
  channelPrefix: fromText(parseChannelPrefix),
  path: fromText((t) => {
    if (t.trim() === '') throw new Error('expected a directory path, got ""');
    return t;
  }),
} as const;
