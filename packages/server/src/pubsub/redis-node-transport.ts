/**
 * The bus on one Redis server: a publisher connection for PUBLISH and a subscriber connection for
 * SUBSCRIBE (redis-connection.ts). After the subscriber comes back from a drop, the channels are
 * reconciled with the bus's registry (redis-reconcile.ts) and only then is the loss reported, for
 * every channel: the bus cannot tell which publications it missed.
 */

import type { ShardHealth } from './bus.js';
import type { ResolvedRedisBusOptions } from './redis-bus-options.js';
import {
  closeClient,
  connectClients,
  createClients,
  type RedisClient,
} from './redis-connection.js';
import { reconcileSubscriptions, subscribeInBatches } from './redis-reconcile.js';
import type { RedisTransport, TransportHooks } from './redis-transport.js';

/** A {@link RedisTransport} over one Redis server. */
export class RedisNodeTransport implements RedisTransport {
  readonly #hooks: TransportHooks;
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  /** The first connection is up and the fixed channels are subscribed. */
  #isStarted = false;
  /** Redis holds every registry channel on the current subscriber connection. */
  #isSynced = false;
  /** Bumped at each reconnect, so a stale reconciliation does not report the loss as mended. */
  #generation = 0;
  #isClosed = false;

  constructor(options: ResolvedRedisBusOptions & { url: string }, hooks: TransportHooks) {
    this.#hooks = hooks;
    const { publisher, subscriber } = createClients(options);
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    publisher.on('error', (err: unknown) => this.#error(err, 'publisher'));
    subscriber.on('error', (err: unknown) => this.#error(err, 'subscriber'));
    subscriber.on('ready', () => this.#onSubscriberReady());
    publisher.on('ready', () => {
      if (this.#isStarted) hooks.publisherReady();
    });
    for (const client of [publisher, subscriber]) {
      client.on('terminated', (cause: unknown) => hooks.terminated(cause));
    }
  }

  async start(fixed: readonly string[], timeoutMs: number): Promise<void> {
    await connectClients([this.#publisher, this.#subscriber], timeoutMs);
    await this.#subscriber.subscribe([...fixed], this.#hooks.listener, true);
    this.#isStarted = true;
    this.#isSynced = true;
  }

  get isReady(): boolean {
    return this.#isSynced && this.#publisher.isReady && this.#subscriber.isReady;
  }

  get isPublisherReady(): boolean {
    return this.#isStarted && this.#publisher.isReady;
  }

  canSubscribe(): boolean {
    // While the subscriber is down nothing is sent: the reconciliation after the reconnect
    // subscribes from the registry, so an outage never piles up SUBSCRIBE commands.
    return this.#isStarted && this.#subscriber.isReady;
  }

  async subscribe(channels: string[]): Promise<void> {
    if (!this.#subscriber.isReady) return;
    await subscribeInBatches(this.#subscriber, channels, this.#hooks.listener);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.#subscriber.isReady) return;
    await this.#subscriber.unsubscribe(channel, this.#hooks.listener, true);
  }

  async publish(channel: string, message: Buffer): Promise<number> {
    return Number(await this.#publisher.sendCommand(['PUBLISH', channel, message]));
  }

  shards(): ShardHealth[] | undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    await Promise.all([closeClient(this.#publisher), closeClient(this.#subscriber)]);
  }

  #onSubscriberReady(): void {
    // The first 'ready' belongs to start(); every later one follows a lost connection.
    if (!this.#isStarted || this.#isClosed) return;
    this.#resubscribe().catch((err: unknown) => this.#error(err, 'resubscribe'));
  }

  async #resubscribe(): Promise<void> {
    const generation = ++this.#generation;
    this.#isSynced = false;
    try {
      await reconcileSubscriptions(this.#subscriber, this.#hooks.wanted(), this.#hooks.listener);
    } catch (err) {
      // The connection dropped again; its next 'ready' reconciles anew.
      this.#error(err, 'resubscribe');
      return;
    }
    if (generation !== this.#generation || this.#isClosed || !this.#subscriber.isReady) return;
    this.#isSynced = true;
    this.#hooks.resubscribed(undefined);
  }

  #error(err: unknown, what: string): void {
    // Before the first connection, start() reports what went wrong, once.
    if (this.#isClosed || !this.#isStarted) return;
    this.#hooks.error(err, what);
  }
}
