/**
 * The option schemas of the `gregor` subcommands: commander's text in, typed values out, each bad
 * value named by its flag (GREGOR_ERR_CONFIG_INVALID, exit 1). Environment fallbacks are applied
 * here, after the flags, so a flag always wins.
 */

import { configError, gregorError, parseOptions } from 'gregor-client/errors';
import { fromHex, type RevokeSessionsArg, type UID } from 'gregor-client/protocol';
import { type GregorAddress, parseGregorUrl, type ReconnectPolicy } from 'gregor-client/rpc';
import { z } from 'zod';
import { MAX_TOKEN_TTL_MS } from '../auth/index.js';
import { DEFAULT_BIND_ADDRESS, parseDurationMs } from '../daemon/internal.js';
import type { ClientTarget } from './gregor-client.js';

/** A zod schema from text to `T`; `parse` throws an Error whose message becomes the issue. */
function fromText<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
  });
}

const duration = fromText(parseDurationMs);
/** An ID on the command line: 1 to 64 bytes in hex. */
const hexBytes = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{2}){1,64}$/, 'must be 1 to 64 bytes of hex')
  .transform((hex) => fromHex(hex));
const hexUid = hexBytes.transform((bytes) => bytes as UID);

/** `--flag-name` of a camelCase option key. */
function flagOf(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Parse commander's `raw` options with `schema`; a failure names the flag. */
export function readOptions<T>(schema: z.ZodType<T>, raw: Readonly<Record<string, unknown>>): T {
  return parseOptions('invalid option', schema, raw, (path) =>
    path[0] === undefined ? 'options' : flagOf(path[0]),
  );
}

/** `gregor token`: who, for how long, and where the secret comes from. */
export const tokenSchema = z
  .object({
    uid: hexUid.optional(),
    superuser: z.literal(true).optional(),
    sid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9_-]')
      .optional(),
    ttl: duration
      .refine((ms) => ms <= MAX_TOKEN_TTL_MS, 'must be at most 366 days (8784h)')
      .default(24 * 60 * 60 * 1000),
    username: z.string().optional(),
    secret: z
      .string()
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 16, 'must be at least 16 bytes long')
      .optional(),
    dataDir: z.string().min(1).optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.uid === undefined) === (o.superuser === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['uid'],
        message: 'give either --uid HEX or --superuser',
      });
    }
    if (o.secret !== undefined && o.dataDir !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'give --secret or --data-dir, not both',
      });
    }
  })
  .transform(({ ttl, ...o }) => ({ ...o, ttlMs: ttl }));

/** Options of `gregor token` after the environment fallbacks. */
export type TokenOptions = z.output<typeof tokenSchema>;

/** The secret comes from --secret, then GREGOR_TOKEN_SECRET, then <data dir>/token-secret. */
export function secretSource(
  o: TokenOptions,
  env: NodeJS.ProcessEnv,
): { secret: string } | { file: string } {
  if (o.secret !== undefined) return { secret: o.secret };
  if (o.dataDir === undefined && env.GREGOR_TOKEN_SECRET)
    return { secret: env.GREGOR_TOKEN_SECRET };
  return { file: `${o.dataDir ?? env.GREGOR_DATA_DIR ?? './data'}/token-secret` };
}

const connectShape = {
  address: fromText(parseGregorUrl).optional(),
  tls: z.literal(true).optional(),
  ca: z.string().min(1).optional(),
  timeout: duration.default(10_000),
};

/** Where a connecting subcommand goes, with GREGOR_ADDRESS as the fallback address. */
export interface ConnectFlags {
  readonly target: ClientTarget;
}

function envAddress(env: NodeJS.ProcessEnv): GregorAddress {
  try {
    return parseGregorUrl(env.GREGOR_ADDRESS || DEFAULT_BIND_ADDRESS);
  } catch (err) {
    throw configError('invalid option', [
      { option: 'GREGOR_ADDRESS', message: (err as Error).message },
    ]);
  }
}

function toTarget(
  o: z.output<z.ZodObject<typeof connectShape>>,
  env: NodeJS.ProcessEnv,
): ClientTarget {
  const address = o.address ?? envAddress(env);
  if (o.tls && address.kind === 'websocket' && !address.tls) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      '--tls: give a wss:// address for TLS over WebSocket',
    );
  }
  return {
    // --tls asks for TLS on a host:port or fmprpc:// address (fmprpc+tls:// and wss:// imply it).
    address: address.kind === 'tcp' && o.tls ? { ...address, tls: true } : address,
    caFile: o.ca,
    timeoutMs: o.timeout,
  };
}

/** `gregor ping`. */
export function readConnectOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): ConnectFlags {
  const o = readOptions(z.object(connectShape), raw);
  return { target: toTarget(o, env) };
}

const session = {
  ...connectShape,
  token: z.string().min(1).optional(),
  uid: hexUid.optional(),
};

/** Options every subcommand that logs in shares: --token (or GREGOR_TOKEN) and --uid. */
export interface SessionFlags extends ConnectFlags {
  readonly token: string;
  readonly uid: UID | undefined;
}

function toSession(o: z.output<z.ZodObject<typeof session>>, env: NodeJS.ProcessEnv): SessionFlags {
  const token = o.token ?? env.GREGOR_TOKEN;
  if (!token) {
    throw configError('invalid option', [
      { option: '--token', message: 'required (or GREGOR_TOKEN)' },
    ]);
  }
  return { target: toTarget(o, env), token, uid: o.uid };
}

/** `gregor state` and `gregor watch`: a connection, a token, and optionally whose. */
export function readSessionOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags {
  return toSession(readOptions(z.object(session), raw), env);
}

/** `gregor add`: an item's category and body, with an optional expiry and reminder. */
export function readAddOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags & {
  category: string;
  body: string;
  expireInMs: number | undefined;
  remindInMs: number | undefined;
} {
  const schema = z.object({
    ...session,
    category: z.string().min(1),
    body: z.string(),
    expireIn: duration.optional(),
    remindIn: duration.optional(),
  });
  const o = readOptions(schema, raw);
  return {
    ...toSession(o, env),
    category: o.category,
    body: o.body,
    expireInMs: o.expireIn,
    remindInMs: o.remindIn,
  };
}

/** `gregor dismiss`: the msgIDs of the items to dismiss. */
export function readDismissOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags & { ids: Uint8Array[] } {
  const schema = z.object({ ...session, id: z.array(hexBytes).min(1) });
  const o = readOptions(schema, raw);
  return { ...toSession(o, env), ids: o.id };
}

/** `gregor reminders`: how many to pull, and whether to delete them once printed. */
export function readRemindersOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags & { max: number; remove: boolean } {
  const max = fromText((text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new Error(`expected a whole number from 1 to 1000, got ${JSON.stringify(text)}`);
    }
    return n;
  });
  const schema = z.object({
    ...session,
    max: max.default(100),
    delete: z.literal(true).optional(),
  });
  const o = readOptions(schema, raw);
  return { ...toSession(o, env), max: o.max, remove: o.delete === true };
}

/** `gregor revoke`: whose sessions to revoke, with a superuser token; at least one of them. */
export function readRevokeOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags & { request: RevokeSessionsArg } {
  const schema = z
    .object({
      ...connectShape,
      token: session.token,
      session: z.array(z.string().min(1)).optional(),
      sid: z.array(z.string().min(1)).optional(),
      uid: z.array(hexUid).optional(),
    })
    .refine((o) => o.session !== undefined || o.sid !== undefined || o.uid !== undefined, {
      message: 'give at least one --session TOKEN, --sid ID or --uid HEX',
    });
  const o = readOptions(schema, raw);
  return {
    ...toSession({ ...o, uid: undefined }, env),
    request: { tokens: o.session ?? [], sessionIDs: o.sid ?? [], uids: o.uid ?? [] },
  };
}

/** Reconnect attempts in a row `gregor watch` makes before it gives up (at most about 2 minutes). */
export const DEFAULT_WATCH_RECONNECT_ATTEMPTS = 10;

/**
 * `gregor watch`: a session, and `--reconnect`: how many attempts in a row after a drop (0: exit
 * at the first drop), or `forever`. Left out, a number: reconnecting for ever would hide a
 * gregord that is gone for good from the script watching.
 */
export function readWatchOptions(
  raw: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): SessionFlags & { reconnect: ReconnectPolicy } {
  const attempts = fromText((text): ReconnectPolicy => {
    if (text === 'forever') return true;
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
      throw new Error(`expected a number of attempts or "forever", got ${JSON.stringify(text)}`);
    }
    return n;
  });
  const schema = z.object({
    ...session,
    reconnect: attempts.default(DEFAULT_WATCH_RECONNECT_ATTEMPTS),
  });
  const o = readOptions(schema, raw);
  return { ...toSession(o, env), reconnect: o.reconnect };
}
