/**
 * GregorServer: gregord as a library. A thin facade that only wires the named components together,
 * so the logic stays in them: Hub + Pipeline (storage → publisher → broadcaster), the dispatcher,
 * one Connection per session, the listeners (TCP/TLS, the HTTP side, any given), metrics and logs.
 *
 * Lifecycle: created → listening → closing → closed. `listen()` works once;
 * `close()` is idempotent: stop accepting consumes, let the in-flight ones finish (drain the
 * mailboxes), close the listeners and every connection, then close what the server owns.
 */

import { gregorError, isGregorError } from 'gregor-client/errors';
import type { SessionID } from 'gregor-client/protocol';
import { RpcSession, type RpcSessionOptions, type Transport } from 'gregor-client/rpc';
import { retentionStoreOf } from 'gregor-client/state';
import { type Logger, pino } from 'pino';
import type { RevokeRequest } from '../auth/index.js';
import { BackendOperations } from './backend-operations.js';
import { BroadcasterConsumer } from './broadcaster-consumer.js';
import { CallTracker } from './call-tracker.js';
import { decodeDescribeRequest, encodeDescribeReply } from './cluster-describe.js';
import { Connection, type ConnectionServices } from './connection.js';
import { ConnectionLimits, hostOf, REFUSED_BY } from './connection-limits.js';
import type { DispatchServices } from './dispatch-services.js';
import { createDispatcher } from './dispatcher.js';
import { HttpListener } from './http-listener.js';
import { Hub } from './hub.js';
import type { Listener, ListenerAddress, ListenerContext } from './listener.js';
import { ServerMetrics } from './metrics.js';
import { Pipeline } from './pipeline.js';
import { PublisherConsumer } from './publisher-consumer.js';
import { ReadGate } from './read-gate.js';
import { RetentionJob } from './retention-job.js';
import {
  DEFAULT_SERVER_FRAME_READ_TIMEOUT_MS,
  type GregorServerOptions,
  resolveServerSettings,
  type ServerSettings,
} from './server-options.js';
import { SessionRevoker } from './session-revoker.js';
import { StorageConsumer } from './storage-consumer.js';
import { TcpListener } from './tcp-listener.js';

/** The lifecycle states of a server. */
export const SERVER_STATE = {
  created: 'created',
  listening: 'listening',
  closing: 'closing',
  closed: 'closed',
} as const;
export type ServerState = (typeof SERVER_STATE)[keyof typeof SERVER_STATE];

/** The addresses `listen()` bound (the real ports when 0 was asked), by listener name. */
export interface ServerAddresses {
  tcp?: { host: string; port: number };
  http?: { host: string; port: number };
  /** The addresses of the listeners given in `GregorServerOptions.listeners`. */
  [name: string]: ListenerAddress | undefined;
}

/** gregord: serves gregor.1 over TCP/TLS, WebSocket, and any transport given as a Listener. */
export class GregorServer {
  readonly #opts: GregorServerOptions;
  readonly #settings: ServerSettings;
  readonly #logger: Logger;
  readonly #metrics: ServerMetrics;
  readonly #publisher: PublisherConsumer;
  readonly #hub: Hub;
  readonly #backend: BackendOperations;
  readonly #session: Omit<RpcSessionOptions, 'id'>;
  readonly #services: ConnectionServices;
  readonly #connections = new Set<Connection>();
  readonly #calls = new CallTracker();
  readonly #limits: ConnectionLimits;
  readonly #revoker: SessionRevoker;
  readonly #unsubscribers: (() => void)[] = [];
  readonly #retention: RetentionJob | undefined;
  #state: ServerState = SERVER_STATE.created;
  readonly #listeners: readonly Listener[];
  #closing: Promise<void> | undefined;
  #nextConnectionId = 1;

  /** Validate `opts` (GREGOR_ERR_CONFIG_INVALID names the bad option) and wire the components. */
  constructor(opts: GregorServerOptions) {
    this.#settings = resolveServerSettings(opts);
    this.#opts = opts;
    this.#listeners = buildListeners(this.#settings.listen, opts.listeners);
    const logger = opts.logger ?? pino({ level: 'silent' });
    this.#logger = logger;
    const hubRef: { hub?: Hub } = {};
    this.#metrics = new ServerMetrics(
      {
        users: () => hubRef.hub?.actorCount ?? 0,
        mailboxQueued: () => hubRef.hub?.mailbox.queued ?? 0,
        mailboxActiveKeys: () => hubRef.hub?.mailbox.activeKeys ?? 0,
      },
      opts.metricsRegistry,
    );
    this.#publisher = new PublisherConsumer(opts.bus, this.#metrics, logger);
    const pipeline = new Pipeline(
      [
        new StorageConsumer(opts.stateMachine, this.#metrics, {
          timeoutMs: this.#settings.storageTimeoutMs,
          quota: this.#settings.userQuota,
        }),
        this.#publisher,
        new BroadcasterConsumer(),
      ],
      (consumer, err) => {
        this.#metrics.consumerFailures.inc({ consumer: consumer.name });
        logger.warn({ err, consumer: consumer.name }, 'pipeline consumer failed');
      },
    );
    this.#hub = new Hub({
      bus: opts.bus,
      pipeline,
      logger,
      mailbox: { maxQueuedPerKey: this.#settings.maxQueuedPerUser },
    });
    hubRef.hub = this.#hub;
    this.#revoker = new SessionRevoker({
      authenticator: opts.authenticator,
      bus: opts.bus,
      metrics: this.#metrics,
      logger,
      connections: () => this.#connections,
    });
    const dispatchServices: DispatchServices = {
      revoker: this.#revoker,
      calls: this.#calls,
      hub: this.#hub,
      stateMachine: opts.stateMachine,
      bus: opts.bus,
      metrics: this.#metrics,
      settings: this.#settings,
      reads: new ReadGate({
        maxPerConnection: this.#settings.maxReadsPerConnection,
        maxPerUser: this.#settings.maxReadsPerUser,
      }),
    };
    const handlers = createDispatcher(dispatchServices);
    this.#backend = new BackendOperations(dispatchServices);
    this.#session = {
      handlers,
      limits: { frameReadTimeoutMs: DEFAULT_SERVER_FRAME_READ_TIMEOUT_MS, ...opts.rpcLimits },
      logger,
    };
    this.#limits = new ConnectionLimits({
      maxPerAddress: this.#settings.maxConnectionsPerAddress,
      maxPerUser: this.#settings.maxConnectionsPerUser,
    });
    this.#retention = buildRetention(this.#settings, opts, this.#metrics.registry, logger);
    this.#services = {
      hub: this.#hub,
      limits: this.#limits,
      authenticator: opts.authenticator,
      metrics: this.#metrics,
      logger,
      authTimeoutMs: this.#settings.authTimeoutMs,
      loginTimeoutMs: this.#settings.loginTimeoutMs,
      maxLoginFrameBytes: this.#settings.maxLoginFrameBytes,
      maxClientFrameBytes: this.#settings.maxClientFrameBytes,
      broadcastTimeoutMs: this.#settings.broadcastTimeoutMs,
      clock: opts.clock ?? opts.stateMachine.clock,
      onClosed: (conn) => {
        this.#connections.delete(conn);
        this.#limits.closed(hostOf(conn.session.remoteAddress));
      },
    };
  }

  /** Where the server is in its lifecycle. */
  get state(): ServerState {
    return this.#state;
  }

  /** The Hub (actor table, mailbox): for tests, invariant checks and operators' tooling. */
  get hub(): Hub {
    return this.#hub;
  }

  /**
   * What a backend may do for any user without a session (publish, dismiss, read, presence,
   * reminders): the operations of the HTTP API, for code in the same process.
   */
  get backend(): BackendOperations {
    return this.#backend;
  }

  /** The metrics of this server. */
  get metrics(): ServerMetrics {
    return this.#metrics;
  }

  /** The retention job (`runOnce` runs a sweep now), or undefined when retention is off. */
  get retention(): RetentionJob | undefined {
    return this.#retention;
  }

  /** Open connections, logged in or not. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The connection counts per address and per user (for tests and leak checks). */
  get connectionLimits(): ConnectionLimits {
    return this.#limits;
  }

  /** Outgoing calls (broadcasts) awaiting a client's answer, over all connections. */
  get pendingCalls(): number {
    let total = 0;
    for (const conn of this.#connections) total += conn.session.pendingCalls;
    return total;
  }

  /**
   * Start listening on the configured addresses; resolves with the bound ones. Rejects with
   * GREGOR_ERR_LIFECYCLE_STATE when already listening, GREGOR_ERR_CLOSED after close(), and
   * GREGOR_ERR_LISTEN_FAILED when an address cannot be bound (nothing stays open then).
   */
  async listen(): Promise<ServerAddresses> {
    if (this.#state === SERVER_STATE.listening) {
      throw gregorError('GREGOR_ERR_LIFECYCLE_STATE', 'server is already listening');
    }
    if (this.#state !== SERVER_STATE.created)
      throw gregorError('GREGOR_ERR_CLOSED', 'server is closed');
    this.#state = SERVER_STATE.listening;
    this.#watchComponents();
    const context = this.#listenerContext();
    const addresses: ServerAddresses = {};
    try {
      // One after the other, in order: a failure leaves no later listener half-started.
      for (const listener of this.#listeners) {
        addresses[listener.name] = await listener.start(context);
      }
    } catch (err) {
      await this.close();
      const detail = err instanceof Error ? err.message : String(err);
      throw gregorError('GREGOR_ERR_LISTEN_FAILED', `cannot listen: ${detail}`, { cause: err });
    }
    this.#retention?.start();
    this.#logger.info({ addresses }, 'gregord listening');
    return addresses;
  }

  /**
   * Revoke sessions on every instance of the cluster: by token, by session id, or every session
   * of a uid issued before now. Their connections are closed and their tokens refused from then
   * on, here and, through the bus, on the other instances. Resolves with the number of
   * connections closed here. Needs an authenticator that revokes itself (signed tokens, mock):
   * otherwise GREGOR_ERR_AUTH_REVOKE_UNSUPPORTED. See SessionRevoker.revoke for the other errors.
   */
  revokeSessions(request: RevokeRequest): Promise<number> {
    if (this.#state !== SERVER_STATE.listening) {
      return Promise.reject(gregorError('GREGOR_ERR_CLOSED', `server is ${this.#state}`));
    }
    return this.#revoker.revoke(request);
  }

  /** Close everything (see the file header); idempotent, resolves when closed. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = SERVER_STATE.closing;
    for (const unsubscribe of this.#unsubscribers.splice(0)) unsubscribe();
    // A running batch finishes and the sweep lease is given back while the storage is still open.
    await this.#retention?.stop();
    this.#hub.stopAccepting();
    // Let in-flight consumes finish and every running call answer, within the drain timeout.
    await withTimeout(
      this.#hub.drain().then(() => this.#calls.whenIdle()),
      this.#settings.drainTimeoutMs,
    );
    const closedConnections = [...this.#connections].map((conn) => conn.closed());
    await Promise.all(this.#listeners.map((listener) => listener.close()));
    for (const conn of this.#connections) conn.close();
    await Promise.all([...closedConnections, ...[...this.#connections].map((c) => c.closed())]);
    await this.#hub.drain();
    await this.#publisher.flush();
    await this.#closeOwned();
    this.#state = SERVER_STATE.closed;
    this.#logger.info({}, 'gregord closed');
  }

  async #closeOwned(): Promise<void> {
    const owns = this.#opts.owns ?? {};
    const closing: Promise<void>[] = [];
    if (owns.bus) closing.push(this.#opts.bus.close());
    if (owns.stateMachine) closing.push(this.#opts.stateMachine.close());
    if (owns.authenticator) closing.push(this.#opts.authenticator.close());
    const results = await Promise.allSettled(closing);
    for (const r of results) {
      if (r.status === 'rejected')
        this.#logger.error({ err: r.reason }, 'closing a component failed');
    }
  }

  /** What every listener starts with: the sessions' options, and where to hand each session. */
  #listenerContext(): ListenerContext {
    const onSession = (session: RpcSession): void => this.#accept(session);
    return {
      session: this.#session,
      onSession,
      accept: (transport: Transport) => {
        const session = new RpcSession(transport, this.#session);
        onSession(session);
        return session;
      },
      registry: this.#metrics.registry,
      metrics: this.#metrics,
      backend: this.#backend,
      storage: this.#opts.stateMachine,
      bus: this.#opts.bus,
    };
  }

  #accept(session: RpcSession): void {
    if (this.#state !== SERVER_STATE.listening) {
      session.close(gregorError('GREGOR_ERR_CLOSED', 'server is closing'));
      return;
    }
    const address = hostOf(session.remoteAddress);
    if (!this.#limits.tryOpen(address)) {
      // No call to answer yet: the socket is closed at once, before it can buffer anything.
      this.#metrics.connectionsRefused.inc({ by: REFUSED_BY.address });
      const max = this.#settings.maxConnectionsPerAddress;
      const err = gregorError(
        'GREGOR_ERR_CONNECTION_LIMIT',
        `over ${max} connections from ${address}`,
      );
      this.#logger.warn({ remote: session.remoteAddress, code: err.code }, err.message);
      session.close(err);
      return;
    }
    const conn = new Connection(this.#nextConnectionId++, session, this.#services);
    this.#connections.add(conn);
    this.#logger.debug(
      { conn: conn.id, session: session.id, remote: session.remoteAddress },
      'connection accepted',
    );
  }

  /** Bus resync → `gregor.resync` to the local connections of the users it names (or all); cluster queries; revocations (from the authenticator, and announced by other instances). */
  #watchComponents(): void {
    const { bus, authenticator } = this.#opts;
    this.#unsubscribers.push(
      bus.onResync((uids) => {
        if (uids === undefined) {
          this.#logger.warn({}, 'bus resync: telling every local connection to sync');
          this.#hub.resyncAll();
        } else {
          this.#logger.warn({ users: uids.length }, 'bus resync: telling these users to sync');
          this.#hub.resync(uids);
        }
      }),
      bus.onGather(async (request) =>
        encodeDescribeReply(this.#hub.describe(decodeDescribeRequest(request))),
      ),
      authenticator.onRevoke((sids) => this.#revoke(sids)),
      bus.onAnnouncement((payload) => this.#revoker.onAnnouncement(payload)),
    );
  }

  /** Re-check the sessions of revoked IDs now; the refused ones are closed. */
  #revoke(sids: readonly SessionID[]): void {
    const revoked = new Set(sids);
    for (const conn of this.#connections) {
      const sid = conn.auth?.sid;
      if (sid === undefined || !revoked.has(sid)) continue;
      conn.recheck().catch((err: unknown) => {
        if (!isGregorError(err)) this.#logger.error({ err, conn: conn.id }, 'recheck failed');
      });
    }
  }
}

/** The retention job `settings.retention` asks for, on the state machine's retention side. */
function buildRetention(
  settings: ServerSettings,
  opts: GregorServerOptions,
  registry: ServerMetrics['registry'],
  logger: Logger,
): RetentionJob | undefined {
  if (settings.retention === undefined) return undefined;
  const store = retentionStoreOf(opts.stateMachine);
  if (store === undefined) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      'invalid server option: retention needs a state machine with a retention side (the memory or SQL engine)',
    );
  }
  return new RetentionJob({
    ...settings.retention,
    store,
    clock: opts.stateMachine.clock,
    logger,
    registry,
  });
}

/** The built-in listeners `listen` asks for (TCP first, as before), then the given ones. */
function buildListeners(
  listen: ServerSettings['listen'],
  given: readonly Listener[] = [],
): readonly Listener[] {
  const listeners: Listener[] = [];
  if (listen.tcp !== undefined) listeners.push(new TcpListener(listen.tcp));
  if (listen.http !== undefined) listeners.push(new HttpListener(listen.http));
  return Object.freeze([...listeners, ...given]);
}

async function withTimeout(p: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
