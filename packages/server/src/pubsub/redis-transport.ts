/**
 * What the Redis bus needs from Redis, so that one bus runs on one Redis server
 * (redis-node-transport.ts: PUBLISH/SUBSCRIBE) or on a Redis Cluster (redis-cluster-transport.ts:
 * sharded SPUBLISH/SSUBSCRIBE). The bus keeps everything else: the registry, envelopes, gather,
 * announcements and resync requests.
 *
 * The registry is the truth: after a loss, a transport subscribes what the bus wants (asked through
 * `TransportHooks.wanted`) and drops the rest, and only then reports the loss as mended.
 */

import type { ShardHealth } from './bus.js';

/** node-redis's buffer-mode pub/sub listener. */
export type PubSubListener = (message: Buffer, channel: Buffer) => void;

/** How a transport calls back into its bus. */
export interface TransportHooks {
  /** The one listener of every channel. */
  readonly listener: PubSubListener;
  /** Every channel the bus wants subscribed now: the fixed ones and one per live uid. */
  wanted(): string[];
  /**
   * Subscriptions were lost and are whole again: publications on `channels` may have been missed
   * meanwhile (every channel when undefined), so their users should sync.
   */
  resubscribed(channels: readonly string[] | undefined): void;
  /** Publishing works again after the transport was down. */
  publisherReady(): void;
  /** A transport error (logged and counted, never thrown). */
  error(err: unknown, what: string): void;
  /** node-redis's reconnect policy gave up: the bus stays down until restarted. */
  terminated(cause: unknown): void;
}

/** One way of reaching Redis. */
export interface RedisTransport {
  /**
   * Connect within `timeoutMs` and subscribe `fixed`. Rejects with GREGOR_ERR_BUS_FAILED; the
   * caller then closes the transport.
   */
  start(fixed: readonly string[], timeoutMs: number): Promise<void>;
  /** Publishing works and Redis holds every channel the bus wants. */
  readonly isReady: boolean;
  /** Publishing works (to every shard, on a cluster). */
  readonly isPublisherReady: boolean;
  /**
   * Whether a first subscriber's subscription should be sent now. When false (the connection that
   * would carry it is down), the reconciliation after the reconnect subscribes it.
   */
  canSubscribe(channel: string): boolean;
  /** Subscribe channels the connection lacks; rejects on a transport error. */
  subscribe(channels: string[]): Promise<void>;
  /** Drop one channel's subscription; rejects on a transport error. */
  unsubscribe(channel: string): Promise<void>;
  /** Publish; resolves with how many subscribers Redis handed the message to. */
  publish(channel: string, message: Buffer): Promise<number>;
  /** Per-shard health on a cluster; undefined on a single server. */
  shards(): ShardHealth[] | undefined;
  /** Drop the connections. */
  close(): Promise<void>;
}
