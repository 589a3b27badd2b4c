/**
 * The Redis bus: many gregord instances sharing one Redis server or one Redis Cluster
 * (docs/scale-out.md). How Redis is reached is the transport's business
 * (redis-node-transport.ts, redis-cluster-transport.ts); this file is the same for both.
 *
 * Channels (docs/pubsub.md explains the choice of one channel per uid):
 * - `<prefix>u:<hex uid>`: publications for a uid; an instance subscribes while it has a local
 *   connection of that user, so Redis sends each message only where it is needed;
 * - `<prefix>g`: cluster queries, subscribed by every instance;
 * - `<prefix>a`: announcements to every instance (session revocations), subscribed by every one;
 * - `<prefix>r:<instance id>`: answers to this instance's queries.
 *
 * Every payload travels in an envelope (envelope.ts) naming its origin, so that an instance drops
 * its own publications: the server has already broadcast them locally.
 *
 * After subscriptions were lost and mended, the transport has reconciled Redis with the bus's
 * registry (subscribing uids added during the outage, dropping ones removed); only then does the
 * bus emit resync, for the users whose channels were affected, so the server can tell their
 * clients to sync what they missed.
 */
import { gregorError, isGregorError } from 'gregor-client/errors';
import { withDeadline } from 'gregor-client/state/internal';
import type {
  AnnouncementHandler,
  Bus,
  BusHandler,
  BusStats,
  GatherHandler,
  GatherOptions,
  PublishOptions,
  ResyncHandler,
  ShardHealth,
  Subscription,
} from './bus.js';
import { BusCore } from './bus-core.js';
import {
  asBuffer,
  ENVELOPE_KIND,
  type Envelope,
  encodeEnvelope,
  encodeUidList,
  MAX_LISTED_UIDS,
} from './envelope.js';
import {
  type RedisBusOptions,
  type ResolvedRedisBusOptions,
  resolveRedisBusOptions,
} from './redis-bus-options.js';
import { RedisClusterTransport } from './redis-cluster-transport.js';
import { errorText } from './redis-connection.js';
import { RedisNodeTransport } from './redis-node-transport.js';
import { RedisReceiver } from './redis-receiver.js';
import type { RedisTransport, TransportHooks } from './redis-transport.js';
import { SubscribeBatcher } from './subscribe-batcher.js';

const RESOLVED = Promise.resolve();
const EMPTY = new Uint8Array(0);

/** A {@link Bus} over Redis pub/sub. Create it with {@link RedisBus.connect}. */
export class RedisBus implements Bus {
  readonly #core: BusCore;
  readonly #options: ResolvedRedisBusOptions;
  readonly #transport: RedisTransport;
  readonly #receiver: RedisReceiver;
  readonly #gatherChannel: string;
  readonly #replyChannel: string;
  readonly #announceChannel: string;
  /** The first connection is up and the fixed channels are subscribed. */
  #isStarted = false;
  /**
   * Publications failed since the other instances were last asked to resync: the messages they
   * carried never reached their users' devices elsewhere, and those instances may already have
   * resynced after the same outage. Asked again once a publication gets through. Keyed by
   * channel; `all` once more than MAX_LISTED_UIDS users lost some.
   */
  #lost: Map<string, Uint8Array> | 'all' | undefined;
  #closing: Promise<void> | undefined;
  readonly #batcher = new SubscribeBatcher((channels) => this.#subscribeBatch(channels));

  private constructor(options: ResolvedRedisBusOptions) {
    this.#options = options;
    const prefix = options.channelPrefix;
    this.#core = new BusCore(
      options.logger,
      (uid) => `${prefix}u:${asBuffer(uid).toString('hex')}`,
      (channel, isLast) => this.#release(channel, isLast),
    );
    this.#gatherChannel = `${prefix}g`;
    this.#replyChannel = `${prefix}r:${this.#core.instanceId}`;
    this.#announceChannel = `${prefix}a`;
    this.#receiver = new RedisReceiver(this.#core, (env) => this.#answerGather(env));
    const hooks: TransportHooks = {
      listener: this.#receiver.listener,
      wanted: () => [...this.#fixedChannels(), ...this.#core.registry.keys()],
      resubscribed: (channels) => this.#resubscribed(channels),
      publisherReady: () => this.#askResyncIfLost(),
      error: (err, what) => this.#transportError(err, what),
      terminated: (cause) =>
        this.#core.logger.error(
          { err: cause, instanceId: this.instanceId },
          'redis bus: reconnect policy gave up; the bus stays down until restarted',
        ),
    };
    const { url, clusterNodes } = options;
    this.#transport =
      clusterNodes === undefined
        ? new RedisNodeTransport({ ...options, url: url as string }, hooks)
        : new RedisClusterTransport({ ...options, clusterNodes }, hooks);
  }

  /**
   * Validate `options`, connect, and subscribe the cluster-query channels. Rejects with
   * GREGOR_ERR_CONFIG_INVALID for a bad option, or GREGOR_ERR_BUS_FAILED when Redis is not
   * reachable within `connectTimeoutMs` (the bus is closed again).
   */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(resolveRedisBusOptions(options));
    try {
      await bus.#transport.start(bus.#fixedChannels(), bus.#options.connectTimeoutMs);
    } catch (err) {
      await bus.close();
      if (isGregorError(err)) throw err;
      throw gregorError('GREGOR_ERR_BUS_FAILED', `redis: ${errorText(err)}`, { cause: err });
    }
    bus.#isStarted = true;
    return bus;
  }

  get instanceId(): string {
    return this.#core.instanceId;
  }

  get isReady(): boolean {
    return !this.#core.isClosed && this.#isStarted && this.#transport.isReady;
  }

  /**
   * On a Redis Cluster, the health of each shard (for /readyz: which one is down); undefined on
   * one Redis server.
   */
  shards(): ShardHealth[] | undefined {
    return this.#transport.shards();
  }

  async publish(uid: Uint8Array, payload: Uint8Array, opts?: PublishOptions): Promise<void> {
    this.#core.assertOpen('publish');
    const channel = this.#core.keyOf(uid);
    this.#core.assertPayload(payload);
    try {
      await this.#send(
        channel,
        encodeEnvelope(ENVELOPE_KIND.message, this.#core.origin, payload),
        opts,
      );
    } catch (err) {
      this.#core.counters.publishFailures++;
      this.#recordLost(channel, uid);
      throw err;
    }
    this.#core.counters.published++;
    this.#askResyncIfLost();
  }

  /** Remember that a publication of `uid` was lost, for the next resync request. */
  #recordLost(channel: string, uid: Uint8Array): void {
    if (this.#lost === 'all') return;
    this.#lost ??= new Map();
    if (this.#lost.size >= MAX_LISTED_UIDS && !this.#lost.has(channel)) this.#lost = 'all';
    else this.#lost.set(channel, uid.slice());
  }

  /**
   * Ask the other instances to resync the users whose publications were lost, once. Each request
   * travels on its user's own channel: it reaches exactly the instances that serve that user,
   * through the shard that carries its messages. Past MAX_LISTED_UIDS users, one request on the
   * announcement channel asks every instance to resync every user.
   */
  #askResyncIfLost(): void {
    const lost = this.#lost;
    if (lost === undefined || !this.#isStarted || this.#core.isClosed) return;
    if (!this.#transport.isPublisherReady) return;
    this.#lost = undefined;
    if (lost === 'all') {
      const envelope = encodeEnvelope(ENVELOPE_KIND.resyncRequest, this.#core.origin, EMPTY);
      const asking = this.#send(this.#announceChannel, envelope).catch((err: unknown) => {
        this.#lost = 'all';
        throw err;
      });
      this.#core.detach(asking, 'redis bus: resync request failed');
      return;
    }
    for (const [channel, uid] of lost) {
      const body = encodeUidList([uid]);
      const envelope = encodeEnvelope(ENVELOPE_KIND.resyncRequest, this.#core.origin, body);
      const asking = this.#send(channel, envelope).catch((err: unknown) => {
        this.#recordLost(channel, uid);
        throw err;
      });
      this.#core.detach(asking, 'redis bus: resync request failed');
    }
  }

  async announce(payload: Uint8Array, opts?: PublishOptions): Promise<void> {
    this.#core.assertOpen('announce');
    this.#core.assertPayload(payload);
    const envelope = encodeEnvelope(ENVELOPE_KIND.announcement, this.#core.origin, payload);
    await this.#send(this.#announceChannel, envelope, opts);
  }

  onAnnouncement(handler: AnnouncementHandler): () => void {
    return this.#core.onAnnouncement(handler);
  }

  subscribe(uid: Uint8Array, handler: BusHandler): Promise<Subscription> {
    return this.#core.subscribe(uid, handler, (channel) => this.#activate(channel));
  }

  onResync(handler: ResyncHandler): () => void {
    return this.#core.onResync(handler);
  }

  async gather(request: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]> {
    this.#core.assertOpen('gather');
    if (!this.isReady) throw gregorError('GREGOR_ERR_BUS_FAILED', 'gather: not connected to redis');
    const gathers = this.#core.gathers;
    const { id, result } = gathers.start(opts.timeoutMs, opts.signal);
    const envelope = encodeEnvelope(ENVELOPE_KIND.gatherRequest, this.#core.origin, request, id);
    // (S)PUBLISH answers how many subscribers got the request, this instance included: that many
    // replies (answers or declines) complete the query before its timeout. On a cluster every
    // instance subscribes the query channel at the master of its slot, so the count is complete.
    this.#send(this.#gatherChannel, envelope, { timeoutMs: opts.timeoutMs }).then(
      (receivers) => gathers.expect(id, Math.max(0, receivers - 1)),
      (err: Error) => gathers.fail(id, err),
    );
    return result;
  }

  onGather(handler: GatherHandler): () => void {
    return this.#core.onGather(handler);
  }

  stats(): BusStats {
    return this.#core.stats();
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#core.close();
    await this.#transport.close();
  }

  /** The channels every instance subscribes from its start, whatever users it serves. */
  #fixedChannels(): string[] {
    return [this.#gatherChannel, this.#replyChannel, this.#announceChannel];
  }

  /** Publish through the transport; resolves with the receiver count. */
  async #send(channel: string, envelope: Buffer, opts?: PublishOptions): Promise<number> {
    const command = this.#transport.publish(channel, envelope);
    const timeoutMs = opts?.timeoutMs ?? this.#options.publishTimeoutMs;
    try {
      return await withDeadline(command, { timeoutMs, signal: opts?.signal }, 'redis publish');
    } catch (err) {
      if (isGregorError(err, 'GREGOR_ERR_ABORTED')) throw err;
      // A timed-out PUBLISH stays in node-redis's reply queue until Redis answers or the
      // connection drops; maxPendingPublishes bounds how many can pile up that way.
      throw gregorError('GREGOR_ERR_BUS_FAILED', `redis publish failed: ${errorText(err)}`, {
        cause: err,
      });
    }
  }

  /** Create the Redis subscription of a uid's first local subscriber. Never rejects. */
  #activate(channel: string): Promise<void> {
    // While the connection that would carry it is down nothing is sent: the reconciliation after
    // the reconnect subscribes from the registry, so an outage never piles up SUBSCRIBE commands.
    if (!this.#isStarted || !this.#transport.canSubscribe(channel)) return RESOLVED;
    return this.#batcher.add(channel);
  }

  /** Subscribe a batch of first subscribers' channels. Never rejects. */
  async #subscribeBatch(channels: string[]): Promise<void> {
    // A subscription is handed out only after its batch is answered, so nothing can leave the
    // registry before its batch is sent, except by close().
    if (this.#core.isClosed) return;
    try {
      await this.#transport.subscribe(channels);
    } catch (err) {
      // The registry keeps the uids; the reconciliation after the reconnect subscribes them.
      this.#transportError(err, 'subscribe');
    }
  }

  /** Drop the Redis subscription once a uid's last local subscriber left. Never rejects. */
  #release(channel: string, isLast: boolean): Promise<void> {
    if (!isLast || this.#core.isClosed || !this.#isStarted) return RESOLVED;
    return this.#transport
      .unsubscribe(channel)
      .catch((err: unknown) => this.#transportError(err, 'unsubscribe'));
  }

  /**
   * The transport lost subscriptions and has them all back: resync the users of the affected
   * channels (every user when it cannot tell). A lost query or announcement channel needs no
   * resync: queries time out, and announcements are best effort.
   */
  #resubscribed(channels: readonly string[] | undefined): void {
    if (this.#core.isClosed) return;
    if (channels === undefined) {
      this.#core.emitResync();
      return;
    }
    const uids: Uint8Array[] = [];
    for (const channel of channels) {
      const entry = this.#core.registry.get(channel);
      if (entry !== undefined) uids.push(entry.uid);
    }
    if (uids.length > 0) this.#core.emitResync(uids);
  }

  /** Answer another instance's cluster query on its reply channel. */
  #answerGather(env: Envelope): void {
    const channel = `${this.#options.channelPrefix}r:${asBuffer(env.origin).toString('hex')}`;
    this.#core.detach(
      this.#reply(channel, env.requestId, env.body),
      'redis bus: gather reply failed',
    );
  }

  async #reply(channel: string, requestId: number, request: Uint8Array): Promise<void> {
    const answer = await this.#core.answerGather(request);
    if (this.#core.isClosed) return;
    const kind = answer === null ? ENVELOPE_KIND.gatherDecline : ENVELOPE_KIND.gatherAnswer;
    await this.#send(channel, encodeEnvelope(kind, this.#core.origin, answer ?? EMPTY, requestId));
  }

  #transportError(err: unknown, what: string): void {
    if (this.#core.isClosed) return;
    this.#core.counters.transportErrors++;
    this.#core.logger.warn(
      { err, instanceId: this.instanceId },
      `redis bus: ${what}: ${errorText(err)}`,
    );
  }
}
