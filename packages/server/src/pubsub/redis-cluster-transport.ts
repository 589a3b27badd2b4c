/**
 * The bus on a Redis Cluster, through node-redis's cluster client, with sharded pub/sub
 * (SPUBLISH/SSUBSCRIBE, Redis 7): a channel lives on the shard that serves its slot, so each uid's
 * traffic stays on one shard and the uids spread over all of them. Plain PUBLISH would be
 * broadcast to every node of the cluster.
 *
 * node-redis keeps one pub/sub connection per master and routes each SSUBSCRIBE to the master of
 * its slot. What it does not do is tell which subscriptions were lost, nor when they are whole
 * again; and its own resubscription after a topology change is fire and forget. So this transport
 * takes that part over and works from the bus's registry, shard by shard:
 *
 * 1. A connection to a node reports trouble (an error, a reconnect): the bus's channels on that
 *    node are *suspect* (their publications may be missed from now on) and the bus is not ready.
 * 2. node-redis moves listeners off a node that left the topology (a failover), or Redis drops a
 *    channel whose slot moved (resharding): those channels are suspect too.
 * 3. A reconciliation then looks at every channel the bus wants: is it held by a ready pub/sub
 *    connection to the master that serves its slot now? Missing ones are subscribed (grouped by
 *    slot), stray ones dropped. When everything is in place and every master answers, the bus is
 *    ready again and the suspect channels' users are told to resync; only those users.
 */
import { gregorError, isGregorError } from 'gregor-client/errors';
import { createCluster } from 'redis';
import type { ShardHealth } from './bus.js';
import { groupBySlot } from './cluster-slot.js';
import { type ResolvedRedisBusOptions, redisReconnectStrategy } from './redis-bus-options.js';
import {
  type Cluster,
  channelsOn,
  isMasterUp,
  masterOf,
  type NodeClient,
  shardHealth,
  survey,
} from './redis-cluster-view.js';
import { closeClient, errorText, isPermanentConnectError } from './redis-connection.js';
import type { RedisTransport, TransportHooks } from './redis-transport.js';

/**
 * node-redis emits this on the cluster client with the listeners it took off a node that left
 * the topology, and answers it by re-subscribing them one by one without awaiting the result.
 * The transport answers it instead (a reconciliation), so that it knows when they are back.
 */
const RESUBSCRIBE_LISTENERS_EVENT = '__resubscribeListeners';
/** Emitted by a pub/sub connection when Redis unsubscribed a channel whose slot moved away. */
const CHANNEL_MOVED_EVENT = 'sharded-channel-moved';
/**
 * How long a node may be reconnecting before node-redis asks the cluster for its topology again
 * (node-redis's default is 5 s): after a failover, the promoted replica is found this soon.
 */
export const TOPOLOGY_REFRESH_MS = 500;
/** Delays between reconciliations that could not finish (a shard still down), doubling. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/** `host:port` of a node client as node-redis reports it in its node events. */
function addressOf(node: { host?: string; port?: number } | undefined): string {
  return `${node?.host ?? ''}:${node?.port ?? ''}`;
}

/** A {@link RedisTransport} over a Redis Cluster. */
export class RedisClusterTransport implements RedisTransport {
  readonly #hooks: TransportHooks;
  readonly #cluster: Cluster;
  #isStarted = false;
  #isClosed = false;
  /** The last reconciliation found every wanted channel in place, and no trouble came since. */
  #isSynced = false;
  /** Channels whose publications may have been missed since their users last synced. */
  readonly #suspect = new Set<string>();
  /** Addresses of nodes that reported trouble since the last complete reconciliation. */
  readonly #troubled = new Set<string>();
  /** Channels whose first SSUBSCRIBE is in flight (not missing, not suspect). */
  readonly #pending = new Set<string>();
  /** Pub/sub connections whose moved-channel event this transport handles. */
  readonly #hooked = new WeakSet<NodeClient>();
  #reconciling: Promise<void> | undefined;
  #reconcileAgain = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = RETRY_FIRST_MS;

  constructor(
    options: ResolvedRedisBusOptions & { clusterNodes: readonly string[] },
    hooks: TransportHooks,
  ) {
    this.#hooks = hooks;
    this.#cluster = createCluster({
      rootNodes: options.clusterNodes.map((node) => ({ url: `redis://${node}` })),
      defaults: {
        ...(options.password === undefined ? {} : { password: options.password }),
        // As on one server: no offline queue, a bounded reply queue per node connection.
        disableOfflineQueue: true,
        commandsQueueMaxLength: options.maxPendingPublishes,
        socket: {
          connectTimeout: options.connectTimeoutMs,
          reconnectStrategy: redisReconnectStrategy(options.reconnect),
        },
      },
      topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_MS,
    });
    const cluster = this.#cluster;
    cluster.on('error', (err: unknown) => this.#error(err, 'cluster'));
    cluster.on('node-error', (err: unknown, node: { host?: string; port?: number }) => {
      this.#disturbed(addressOf(node));
      this.#error(err, `node ${addressOf(node)}`);
    });
    cluster.on('node-reconnecting', (node: { host?: string; port?: number }) =>
      this.#disturbed(addressOf(node)),
    );
    cluster.on('node-ready', () => {
      this.#scheduleReconcile();
      if (this.isPublisherReady) hooks.publisherReady();
    });
    cluster.on('sharded-channel-moved-error', (err: unknown, channel: string) => {
      this.#markSuspect([channel]);
      this.#error(err, 'moved channel');
    });
    // After the handlers above: node-redis's cluster client is a prototype wrapper of its
    // emitter, and removing the last listener of all would give the wrapper an empty map of its own.
    cluster.removeAllListeners(RESUBSCRIBE_LISTENERS_EVENT);
    cluster.on(RESUBSCRIBE_LISTENERS_EVENT, (listeners: { SHARDED?: Map<string, unknown> }) => {
      this.#markSuspect(listeners.SHARDED?.keys() ?? []);
    });
  }

  async start(fixed: readonly string[], timeoutMs: number): Promise<void> {
    await this.#connect(timeoutMs);
    await Promise.all(fixed.map((channel) => this.#sSubscribe([channel])));
    this.#isStarted = true;
    this.#isSynced = true;
  }

  get isReady(): boolean {
    return (
      this.#isStarted &&
      !this.#isClosed &&
      this.#isSynced &&
      this.#troubled.size === 0 &&
      this.isPublisherReady
    );
  }

  get isPublisherReady(): boolean {
    if (!this.#isStarted || this.#isClosed || !this.#cluster.isReady) return false;
    const masters = this.#cluster.masters;
    return masters.length > 0 && masters.every((master) => master.client?.isReady === true);
  }

  canSubscribe(channel: string): boolean {
    // A channel whose master is down is only registered: the reconciliation once the shard is
    // back (or replaced) subscribes it and tells its user to resync.
    if (!this.#isStarted || this.#isClosed) return false;
    const master = masterOf(this.#cluster, channel);
    return master !== undefined && isMasterUp(master, this.#troubled);
  }

  async subscribe(channels: string[]): Promise<void> {
    for (const channel of channels) this.#pending.add(channel);
    try {
      const groups = [...groupBySlot(channels).values()];
      const outcomes = await Promise.allSettled(groups.map((group) => this.#sSubscribe(group)));
      const failed = outcomes.flatMap((outcome, i) =>
        outcome.status === 'rejected' ? [{ group: groups[i]!, reason: outcome.reason }] : [],
      );
      if (failed.length === 0) return;
      // The reconciliation subscribes them once their shard works; their users then resync.
      this.#markSuspect(failed.flatMap(({ group }) => group));
      throw failed[0]!.reason;
    } finally {
      for (const channel of channels) this.#pending.delete(channel);
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    // Not while its master is down: the reconciliation drops whatever stray subscription is
    // left once the shard is back.
    if (!this.canSubscribe(channel)) return;
    await this.#cluster.sUnsubscribe(channel, this.#hooks.listener, true);
  }

  async publish(channel: string, message: Buffer): Promise<number> {
    // Straight to the connection of the slot's master: the cluster client's own route resolves
    // command policies on every call, and skipping it saved 5–10 µs of CPU per message (A → B,
    // both buses, measured when this was written). A redirection (the slot moved) goes through
    // the cluster client, which follows it and refreshes the slot map.
    const client = masterOf(this.#cluster, channel)?.client;
    if (client === undefined) return Number(await this.#cluster.sPublish(channel, message));
    try {
      return Number(await client.sendCommand(['SPUBLISH', channel, message]));
    } catch (err) {
      if (!(err instanceof Error) || !/^(MOVED|ASK) /.test(err.message)) throw err;
      return Number(await this.#cluster.sPublish(channel, message));
    }
  }

  shards(): ShardHealth[] {
    return shardHealth(this.#cluster, this.#troubled);
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    clearTimeout(this.#retryTimer);
    await closeClient(this.#cluster);
  }

  /**
   * Discover the cluster from the root nodes, retrying until `timeoutMs` (node-redis tries each
   * root node once per attempt). A refused password or certificate fails at once.
   */
  async #connect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    let permanent: unknown;
    const onError = (err: unknown): void => {
      lastError = err;
      if (isPermanentConnectError(err)) permanent = err;
    };
    this.#cluster.on('error', onError);
    this.#cluster.on('node-error', onError);
    try {
      for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 500)) {
        try {
          await this.#cluster.connect();
          return;
        } catch (err) {
          lastError ??= err;
          if (permanent !== undefined || Date.now() + delayMs > deadline || this.#isClosed) break;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    } finally {
      this.#cluster.off('error', onError);
      this.#cluster.off('node-error', onError);
    }
    const cause = permanent ?? lastError;
    const when = permanent === undefined ? ` within ${timeoutMs} ms` : '';
    throw gregorError(
      'GREGOR_ERR_BUS_FAILED',
      `redis cluster: not connected${when}: ${errorText(cause)}`,
      { cause },
    );
  }

  /** SSUBSCRIBE channels of one slot, and take over the moved-channel event of their connection. */
  #sSubscribe(channels: string[]): Promise<void> {
    const subscribing = this.#cluster.sSubscribe(channels, this.#hooks.listener, true);
    // node-redis creates the master's pub/sub connection synchronously inside sSubscribe.
    this.#hook(masterOf(this.#cluster, channels[0]!)?.pubSub?.client);
    return subscribing;
  }

  /**
   * Handle the moved-channel event of a pub/sub connection here instead of in node-redis, whose
   * re-subscription would leave the bus unable to tell when the channel is back.
   */
  #hook(client: NodeClient | undefined): void {
    if (client === undefined || this.#hooked.has(client)) return;
    this.#hooked.add(client);
    client.removeAllListeners(CHANNEL_MOVED_EVENT);
    client.on(CHANNEL_MOVED_EVENT, (channel: string) => this.#markSuspect([channel]));
  }

  /** A connection to `address` reported trouble: the channels it carries are suspect. */
  #disturbed(address: string): void {
    if (!this.#isStarted || this.#isClosed) return;
    this.#isSynced = false;
    // Once per node per episode: a node that stays down reports every reconnect attempt.
    if (!this.#troubled.has(address)) {
      this.#troubled.add(address);
      for (const channel of channelsOn(this.#cluster, address, this.#hooks.wanted())) {
        this.#suspect.add(channel);
      }
    }
    this.#scheduleReconcile();
  }

  #markSuspect(channels: Iterable<string>): void {
    if (!this.#isStarted || this.#isClosed) return;
    this.#isSynced = false;
    for (const channel of channels) this.#suspect.add(channel);
    this.#scheduleReconcile();
  }

  #scheduleReconcile(): void {
    if (!this.#isStarted || this.#isClosed) return;
    if (this.#reconciling !== undefined) {
      this.#reconcileAgain = true;
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#reconciling = this.#reconcileLoop()
      .catch((err: unknown) => {
        // Not expected (every command's failure is caught inside); look again later all the same.
        this.#error(err, 'resubscribe');
        this.#retryLater();
      })
      .finally(() => {
        this.#reconciling = undefined;
      });
  }

  async #reconcileLoop(): Promise<void> {
    let isWhole = false;
    do {
      this.#reconcileAgain = false;
      // A reconciliation started by an event runs after the event's other handlers: node-redis
      // updates its slot map and connections in the same turn.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#isClosed) return;
      isWhole = await this.#reconcileOnce();
    } while (this.#reconcileAgain && !this.#isClosed);
    if (this.#isClosed) return;
    if (isWhole) {
      this.#retryDelayMs = RETRY_FIRST_MS;
      this.#mended();
      return;
    }
    // A shard is still down (or not yet replaced): look again later. node-redis refreshes the
    // topology meanwhile, and its node events schedule a reconciliation of their own.
    this.#retryLater();
  }

  #retryLater(): void {
    if (this.#isClosed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#scheduleReconcile(), this.#retryDelayMs);
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
  }

  /** Everything wanted is in place: ready again, and the suspect channels' users resync. */
  #mended(): void {
    this.#isSynced = true;
    this.#troubled.clear();
    if (this.#suspect.size === 0) return;
    const channels = [...this.#suspect];
    this.#suspect.clear();
    this.#hooks.resubscribed(channels);
  }

  /**
   * One pass: subscribe what is missing, drop what is stray. Resolves true when every wanted
   * channel is held by a ready connection to its master and every master answers.
   */
  async #reconcileOnce(): Promise<boolean> {
    for (const master of this.#cluster.masters) this.#hook(master.pubSub?.client);
    const { missing, stray, isWhole } = survey(this.#cluster, this.#hooks.wanted(), this.#pending);
    // A channel that should have been subscribed and was not may have missed publications.
    for (const channel of missing) this.#suspect.add(channel);
    const outcomes = await Promise.allSettled([
      ...[...groupBySlot(missing).values()].map((group) => this.#sSubscribe(group)),
      ...stray.map(({ client, channel }) => client.sUnsubscribe(channel)),
    ]);
    let isDone = isWhole;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      isDone = false;
      this.#error(outcome.reason, 'resubscribe');
    }
    return isDone;
  }

  #error(err: unknown, what: string): void {
    // Before the first connection, start() reports what went wrong, once.
    if (this.#isClosed || !this.#isStarted) return;
    if (isGregorError(err, 'GREGOR_ERR_CLOSED')) return;
    this.#hooks.error(err, what);
  }
}
