/**
 * Options of the Redis bus, validated once at the edge into a fully defaulted, frozen object:
 * a bad value is rejected with GREGOR_ERR_CONFIG_INVALID naming the option, never clamped, and the
 * caller's object is never changed.
 */

import { gregorError, parseOptions } from 'gregor-client/errors';
import {
  type ReconnectPolicy,
  reconnectDelayMs,
  reconnectPolicySchema,
  SERVER_LINK_RECONNECT_DELAYS,
} from 'gregor-client/rpc';
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
/** Options of {@link RedisBus}: give `url` (one Redis server) or `clusterNodes`, not both. */
export interface RedisBusOptions {
  /** One Redis server: `redis://[user[:password]@]host:port[/db]`, or `rediss://…` for TLS. */
  url?: string;
  /**
   * A Redis Cluster (7 or later): `host:port` of one or more of its nodes; the bus finds the
   * others. Channels are sharded (SSUBSCRIBE/SPUBLISH), so each uid's traffic stays on its shard.
   */
  clusterNodes?: readonly string[];
  /** The password of every cluster node (with `clusterNodes`; a `url` carries its own). */
  password?: string;
  /** @default DEFAULT_CHANNEL_PREFIX */
  channelPrefix?: string;
  /** @default DEFAULT_PUBLISH_TIMEOUT_MS */
  publishTimeoutMs?: number;
  /** @default DEFAULT_MAX_PENDING_PUBLISHES */
  maxPendingPublishes?: number;
  /** @default DEFAULT_CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  /**
   * When the two Redis connections redial (gregor-client/rpc's ReconnectPolicy; a number is a
   * count of attempts in a row). @default for ever, with SERVER_LINK_RECONNECT_DELAYS
   */
  reconnect?: ReconnectPolicy;
  /** Where connection errors and handler failures go; default: stderr. */
  logger?: BusLogger;
  /** PEM of the CAs a `rediss://` server must chain to. @default the system CAs */
  tlsCa?: string;
}

type OptionalKeys = 'url' | 'clusterNodes' | 'password' | 'tlsCa';

/** {@link RedisBusOptions} with every default filled in. */
export type ResolvedRedisBusOptions = Readonly<
  Required<Omit<RedisBusOptions, OptionalKeys>> & Pick<RedisBusOptions, OptionalKeys>
>;

/**
 * The policy as node-redis's `reconnectStrategy`: node-redis counts `retries` from 0 after each
 * drop, the policy counts attempts from 1. Giving up returns an Error, which node-redis reports
 * with its `terminated` event.
 */
export function redisReconnectStrategy(
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): (retries: number, cause: Error) => number | Error {
  return (retries, cause) => {
    const delayMs = reconnectDelayMs(policy, retries + 1, cause, {
      delays: SERVER_LINK_RECONNECT_DELAYS,
      random,
    });
    if (delayMs !== false) return delayMs;
    return gregorError(
      'GREGOR_ERR_BUS_FAILED',
      `redis: reconnect policy gave up after ${retries} attempt(s): ${cause.message}`,
      { cause },
    );
  };
}

const positiveMs = z.number().int().positive().max(2_147_483_647);
const isFunction = (value: unknown): boolean => typeof value === 'function';

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9][0-9]{0,4})$/;

const schema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional(),
    clusterNodes: z
      .array(
        z
          .string()
          .regex(HOST_PORT, 'must be host:port')
          .refine((node) => Number(node.slice(node.lastIndexOf(':') + 1)) <= 65_535, 'bad port'),
      )
      .min(1)
      .readonly()
      .optional(),
    password: z.string().min(1).optional(),
    channelPrefix: z.string().max(64).default(DEFAULT_CHANNEL_PREFIX),
    publishTimeoutMs: positiveMs.default(DEFAULT_PUBLISH_TIMEOUT_MS),
    maxPendingPublishes: z.number().int().positive().default(DEFAULT_MAX_PENDING_PUBLISHES),
    connectTimeoutMs: positiveMs.default(DEFAULT_CONNECT_TIMEOUT_MS),
    reconnect: reconnectPolicySchema.default(true),
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
  })
  .superRefine((options, ctx) => {
    if (options.url === undefined && options.clusterNodes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give url or clusterNodes' });
    }
    if (options.url !== undefined && options.clusterNodes !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['clusterNodes'],
        message: 'give url or clusterNodes, not both',
      });
    }
    if (options.password !== undefined && options.clusterNodes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'only with clusterNodes (a url carries its own)',
      });
    }
    if (options.tlsCa !== undefined && options.clusterNodes !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tlsCa'],
        message: 'TLS to a cluster is not supported',
      });
    }
  });

/** Validate and default the options, or throw GREGOR_ERR_CONFIG_INVALID naming the bad option. */
export function resolveRedisBusOptions(input: unknown): ResolvedRedisBusOptions {
  return Object.freeze(parseOptions('invalid redis bus option', schema, input));
}
