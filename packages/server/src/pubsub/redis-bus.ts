/**
 * The Redis bus: many gregord instances sharing one Redis (docs/scale-out.md).
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
 * After the subscriber connection drops and comes back, the bus reconciles Redis with its own
 * registry (subscribing uids added during the outage, dropping ones removed), and only then emits
 * resync, so the server can tell its clients to sync what they missed.
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
  Subscription,
} from './bus.js';
import { BusCore } from './bus-core.js';
import { asBuffer, ENVELOPE_KIND, type Envelope, encodeEnvelope } from './envelope.js';
import {
  type RedisBusOptions,
  type ResolvedRedisBusOptions,
  resolveRedisBusOptions,
} from './redis-bus-options.js';
import {
  closeClient,
  connectClients,
  createClients,
  errorText,
  type RedisClient,
} from './redis-connection.js';
import { RedisReceiver } from './redis-receiver.js';
import { reconcileSubscriptions, subscribeInBatches } from './redis-reconcile.js';
import { SubscribeBatcher } from './subscribe-batcher.js';

const RESOLVED = Promise.resolve();
const EMPTY = new Uint8Array(0);

/** A {@link Bus} over Redis pub/sub. Create it with {@link RedisBus.connect}. */
export class RedisBus implements Bus {
  readonly #core: BusCore;
  readonly #options: ResolvedRedisBusOptions;
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #receiver: RedisReceiver;
  readonly #gatherChannel: string;
  readonly #replyChannel: string;
  readonly #announceChannel: string;
  /** The first connection is up and the fixed channels are subscribed. */
  #isStarted = false;
  /** Redis holds every registry uid on the current subscriber connection. */
  #isSynced = false;
  /**
   * A publication failed since the other instances were last asked to resync: the messages it
   * carried never reached their users' devices elsewhere, and those instances may already have
   * resynced after the same outage. Asked again once a publication gets through.
   */
  #hasLostPublications = false;
  /** Bumped at each reconnect, so a stale reconciliation does not emit resync. */
  #generation = 0;
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
    const { publisher, subscriber } = createClients(options);
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#receiver = new RedisReceiver(this.#core, (env) => this.#answerGather(env));
    publisher.on('error', (err: unknown) => this.#transportError(err, 'publisher'));
    subscriber.on('error', (err: unknown) => this.#transportError(err, 'subscriber'));
    subscriber.on('ready', () => this.#onSubscriberReady());
    publisher.on('ready', () => this.#askResyncIfLost());
    for (const client of [publisher, subscriber]) {
      client.on('terminated', (cause: unknown) =>
        this.#core.logger.error(
          { err: cause, instanceId: this.instanceId },
          'redis bus: reconnect policy gave up; the bus stays down until restarted',
        ),
      );
    }
  }

  /**
   * Validate `options`, connect, and subscribe the cluster-query channels. Rejects with
   * GREGOR_ERR_CONFIG_INVALID for a bad option, or GREGOR_ERR_BUS_FAILED when Redis is not
   * reachable within `connectTimeoutMs` (the bus is closed again).
   */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(resolveRedisBusOptions(options));
    try {
      await connectClients([bus.#publisher, bus.#subscriber], bus.#options.connectTimeoutMs);
      await bus.#subscriber.subscribe(bus.#fixedChannels(), bus.#receiver.listener, true);
    } catch (err) {
      await bus.close();
      if (isGregorError(err)) throw err;
      throw gregorError('GREGOR_ERR_BUS_FAILED', `redis: ${errorText(err)}`, { cause: err });
    }
    bus.#isStarted = true;
    bus.#isSynced = true;
    return bus;
  }

  get instanceId(): string {
    return this.#core.instanceId;
  }

  get isReady(): boolean {
    return (
      !this.#core.isClosed &&
      this.#isStarted &&
      this.#isSynced &&
      this.#publisher.isReady &&
      this.#subscriber.isReady
    );
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
      this.#hasLostPublications = true;
      throw err;
    }
    this.#core.counters.published++;
    this.#askResyncIfLost();
  }

  /** Ask every other instance to resync its clients, once, after publications were lost. */
  #askResyncIfLost(): void {
    if (!this.#hasLostPublications || !this.#isStarted || this.#core.isClosed) return;
    if (!this.#publisher.isReady) return;
    this.#hasLostPublications = false;
    const envelope = encodeEnvelope(ENVELOPE_KIND.resyncRequest, this.#core.origin, EMPTY);
    const asking = this.#send(this.#announceChannel, envelope).catch((err: unknown) => {
      this.#hasLostPublications = true;
      throw err;
    });
    this.#core.detach(asking, 'redis bus: resync request failed');
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
    // PUBLISH answers how many subscribers got the request, this instance included: that many
    // replies (answers or declines) complete the query before its timeout.
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
    await Promise.all([closeClient(this.#publisher), closeClient(this.#subscriber)]);
  }

  /** The channels every instance subscribes from its start, whatever users it serves. */
  #fixedChannels(): string[] {
    return [this.#gatherChannel, this.#replyChannel, this.#announceChannel];
  }

  /** PUBLISH through the publisher; resolves with the receiver count. */
  async #send(channel: string, envelope: Buffer, opts?: PublishOptions): Promise<number> {
    const command = this.#publisher.sendCommand(['PUBLISH', channel, envelope]);
    const timeoutMs = opts?.timeoutMs ?? this.#options.publishTimeoutMs;
    try {
      return Number(
        await withDeadline(command, { timeoutMs, signal: opts?.signal }, 'redis publish'),
      );
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
    // While the subscriber is down nothing is sent: the reconciliation after the reconnect
    // subscribes from the registry, so an outage never piles up SUBSCRIBE commands.
    if (!this.#isStarted || !this.#subscriber.isReady) return RESOLVED;
    return this.#batcher.add(channel);
  }

  /** Subscribe a batch of first subscribers' channels. Never rejects. */
  async #subscribeBatch(channels: string[]): Promise<void> {
    // A subscription is handed out only after its batch is answered, so nothing can leave the
    // registry before its batch is sent, except by close().
    if (this.#core.isClosed || !this.#subscriber.isReady) return;
    try {
      await subscribeInBatches(this.#subscriber, channels, this.#receiver.listener);
    } catch (err) {
      // The registry keeps the uids; the reconciliation after the reconnect subscribes them.
      this.#transportError(err, 'subscribe');
    }
  }

  /** Drop the Redis subscription once a uid's last local subscriber left. Never rejects. */
  #release(channel: string, isLast: boolean): Promise<void> {
    if (!isLast || this.#core.isClosed || !this.#subscriber.isReady) return RESOLVED;
    return this.#subscriber
      .unsubscribe(channel, this.#receiver.listener, true)
      .catch((err: unknown) => this.#transportError(err, 'unsubscribe'));
  }

  #onSubscriberReady(): void {
    // The first 'ready' belongs to connect(); every later one follows a lost connection.
    if (!this.#isStarted || this.#core.isClosed) return;
    this.#core.detach(this.#resubscribe(), 'redis bus: resubscribe failed');
  }

  async #resubscribe(): Promise<void> {
    const generation = ++this.#generation;
    this.#isSynced = false;
    const wanted = [...this.#fixedChannels(), ...this.#core.registry.keys()];
    try {
      await reconcileSubscriptions(this.#subscriber, wanted, this.#receiver.listener);
    } catch (err) {
      // The connection dropped again; its next 'ready' reconciles anew.
      this.#transportError(err, 'resubscribe');
      return;
    }
    if (generation !== this.#generation || this.#core.isClosed || !this.#subscriber.isReady) return;
    this.#isSynced = true;
    this.#core.emitResync();
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
    // Before the first connection, connect() reports what went wrong, once.
    if (this.#core.isClosed || !this.#isStarted) return;
    this.#core.counters.transportErrors++;
    this.#core.logger.warn(
      { err, instanceId: this.instanceId },
      `redis bus: ${what}: ${errorText(err)}`,
    );
  }
}
