/**
 * Options of the Redis bus, validated once at the edge into a fully defaulted, frozen object:
 * a bad value is rejected with GREGOR_ERR_CONFIG_INVALID naming the option, never clamped, and the
 * caller's object is never changed.
 */

import { parseOptions } from 'gregor-client/errors';
import { z } from 'zod';
import type { BusLogger } from './bus.js';
import { consoleBusLogger } from './bus-core.js';

/** Prefix of every channel name, so that several clusters (or test runs) can share one Redis. */
export const DEFAULT_CHANNEL_PREFIX = 'gregor:';
/**
 * How long a publish may wait for Redis. Keybase's gregord gave sibling publishes 200 ms
 * (its `publish-timeout`); a Redis round trip is one hop, but a busy Redis
 * can stall for longer, and a timed-out publish is lost for the other instances.
 */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 1000;
/**
 * Commands waiting for Redis at once (publishes and gather replies). Past it a publish rejects at
 * once; node-redis's offline queue is off, so an outage never grows memory.
 */
export const DEFAULT_MAX_PENDING_PUBLISHES = 10_000;
/** How long `RedisBus.connect` waits for the first connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** First reconnect delay; it doubles each attempt up to {@link DEFAULT_RECONNECT_MAX_DELAY_MS}. */
export const DEFAULT_RECONNECT_BASE_DELAY_MS = 50;
/** Longest reconnect delay, before jitter. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 2000;
/** Up to this much random jitter is added to each reconnect delay. */
export const DEFAULT_RECONNECT_JITTER_MS = 100;

/**
 * Reconnect policy as data: `false` never reconnects, a number waits that many ms,
 * a function returns the delay for an attempt (0-based) or `false` to give up.
 */
export type ReconnectPolicy = false | number | ((attempt: number, cause: Error) => number | false);

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /** `redis://[user[:password]@]host:port[/db]`, or `rediss://…` for TLS */
  url: string;
  /** @default DEFAULT_CHANNEL_PREFIX */
  channelPrefix?: string;
  /** @default DEFAULT_PUBLISH_TIMEOUT_MS */
  publishTimeoutMs?: number;
  /** @default DEFAULT_MAX_PENDING_PUBLISHES */
  maxPendingPublishes?: number;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  /** @default exponential backoff with jitter ({@link defaultReconnectDelayMs}) */
  reconnect?: ReconnectPolicy;
  /** Where connection errors and handler failures go; default: stderr. */
  logger?: BusLogger;
  /** PEM of the CAs a `rediss://` server must chain to. @default the system CAs */
  tlsCa?: string;
}

/** {@link RedisBusOptions} with every default filled in. */
export type ResolvedRedisBusOptions = Readonly<
  Required<Omit<RedisBusOptions, 'tlsCa'>> & Pick<RedisBusOptions, 'tlsCa'>
>;

/** 50, 100, 200 … ms, capped at 2 s, plus up to 100 ms of jitter so instances do not stampede. */
export function defaultReconnectDelayMs(attempt: number): number {
  const base = Math.min(
    DEFAULT_RECONNECT_BASE_DELAY_MS * 2 ** Math.min(attempt, 16),
    DEFAULT_RECONNECT_MAX_DELAY_MS,
  );
  return base + Math.floor(Math.random() * DEFAULT_RECONNECT_JITTER_MS);
}

const positiveMs = z.number().int().positive().max(2_147_483_647);
const isFunction = (value: unknown): boolean => typeof value === 'function';

const schema = z.strictObject({
  url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://'),
  channelPrefix: z.string().max(64).default(DEFAULT_CHANNEL_PREFIX),
  publishTimeoutMs: positiveMs.default(DEFAULT_PUBLISH_TIMEOUT_MS),
  maxPendingPublishes: z.number().int().positive().default(DEFAULT_MAX_PENDING_PUBLISHES),
  connectTimeoutMs: positiveMs.default(DEFAULT_CONNECT_TIMEOUT_MS),
  reconnect: z
    .union([
      z.literal(false),
      z.number().int().nonnegative(),
      z.custom<(attempt: number, cause: Error) => number | false>(isFunction),
    ])
    .default(() => defaultReconnectDelayMs),
  logger: z
    .custom<BusLogger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        isFunction((value as BusLogger).warn) &&
        isFunction((value as BusLogger).error),
      'must have warn and error methods',
    )
    .default(consoleBusLogger),
  tlsCa: z.string().includes('-----BEGIN ', { message: 'must be PEM text' }).optional(),
});

/** Validate and default the options, or throw GREGOR_ERR_CONFIG_INVALID naming the bad option. */
export function resolveRedisBusOptions(input: unknown): ResolvedRedisBusOptions {
  return Object.freeze(parseOptions('invalid redis bus option', schema, input));
}
