/**
 * A Listener is one transport GregorServer serves gregor.1 on: it turns whatever connects to it
 * into framed msgpack-rpc sessions and hands each one to the server, which does everything else
 * (connection limits, login, dispatch, accounting, draining). The TCP/TLS listener and the HTTP
 * side (WebSocket, probes, metrics) are two of them; a new transport is one more, passed in
 * `GregorServerOptions.listeners`, and needs no other change to the server.
 */
import type { OnSession, RpcSession, RpcSessionOptions, Transport } from 'gregor-client/rpc';
import type { StateReader } from 'gregor-client/state/internal';
import type { Registry } from 'prom-client';
import type { Bus } from '../pubsub/index.js';
import type { BackendOperations } from './backend-operations.js';
import type { ServerMetrics } from './metrics.js';

/** Where a listener is reachable, as `listen()` reports it (a port for network listeners). */
export interface ListenerAddress {
  host: string;
  port?: number;
}

/** What GregorServer gives a listener when it starts. */
export interface ListenerContext {
  /** The options every session must be opened with (the server's handlers, limits, logger). */
  readonly session: Omit<RpcSessionOptions, 'id'>;
  /** Hand an opened session to the server (call it before the session reads anything). */
  readonly onSession: OnSession;
  /** Open a session on `transport` with `session` and hand it to the server: all most transports need. */
  accept(transport: Transport): RpcSession;
  /** The server's metrics registry, for listeners that expose it (the HTTP side's /metrics). */
  readonly registry: Registry;
  /** The server's metrics, for listeners that count their own requests (the HTTP API's). */
  readonly metrics: ServerMetrics;
  /** What a backend may do without a session: the operations behind the HTTP API. */
  readonly backend: BackendOperations;
  /** The storage and bus, for listeners that report readiness (the HTTP side's /readyz). */
  readonly storage: StateReader;
  readonly bus: Bus;
}

/** One transport of a GregorServer. */
export interface Listener {
  /**
   * The key of this listener's address in `ServerAddresses` and its name in logs (`tcp`, `http`
   * for the built-in ones); unique among a server's listeners.
   */
  readonly name: string;
  /**
   * Start accepting; resolves with the bound address. A rejection fails `listen()` (with
   * GREGOR_ERR_LISTEN_FAILED), and the server then closes every listener, this one included.
   */
  start(context: ListenerContext): Promise<ListenerAddress>;
  /**
   * Stop accepting and close the sessions this listener opened; resolves once done. Called once
   * by `close()` (or by a failed `listen()`), also when `start()` never ran or failed.
   */
  close(): Promise<void>;
}
