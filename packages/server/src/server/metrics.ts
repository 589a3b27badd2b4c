/**
 * The Prometheus metrics of one gregord instance (a Registry per server, so that several servers
 * in one process, as in the tests, never share or clash). Served on `/metrics` by the HTTP side.
 * Label values are bounded: kinds are a fixed list, results are `ok` or a registry error code.
 */

import { isGregorError } from 'gregor-client/errors';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a consume call was: which of the consume methods. */
export const CONSUME_KIND = {
  message: 'message',
  publish: 'publish',
  multi: 'multi',
} as const;
export type ConsumeKind = (typeof CONSUME_KIND)[keyof typeof CONSUME_KIND];

/** Live figures the metrics read when scraped (queue depths and table sizes). */
export interface MetricsSources {
  users(): number;
  mailboxQueued(): number;
  mailboxActiveKeys(): number;
}

/** `ok`, or the Gregor error code of `err` (GREGOR_ERR_INTERNAL for anything untyped). */
export function resultLabel(err?: unknown): string {
  if (err === undefined) return 'ok';
  return isGregorError(err) ? err.code : 'GREGOR_ERR_INTERNAL';
}

/** Counters, gauges and histograms of one server, in their own registry. */
export class ServerMetrics {
  /** The registry `/metrics` serves. */
  readonly registry: Registry;
  /** Open connections (authenticated or not). */
  readonly connections: Gauge;
  /** Consume calls by kind and result. */
  readonly consumes: Counter<'kind' | 'result'>;
  /** broadcastMessage calls to connections, by result (`ok`, or the code of the failure). */
  readonly deliveries: Counter<'result'>;
  /** Connections closed because they could not keep up (timeout or full write buffer). */
  readonly slowConnectionsClosed: Counter;
  /** Connections refused by a connection limit, by what was at its bound (`address`, `user`). */
  readonly connectionsRefused: Counter<'by'>;
  /** Connections closed because a frame did not complete within the frame read timeout. */
  readonly frameReadTimeouts: Counter;
  /** Storage call latency in seconds, by operation. */
  readonly storageSeconds: Histogram<'op'>;
  /** Failed logins and failed re-checks, by code. */
  readonly authFailures: Counter<'code'>;
  /**
   * Input refused for its encoding, by code: connections closed for a bad or oversized frame,
   * msgpack outside the decode limits or a malformed message, and calls answered with an error
   * for arguments that could not be decoded or decompressed within the limits. Each touched only
   * its own connection.
   */
  readonly protocolRefusals: Counter<'code'>;
  /** Publications to the bus that failed (the consume itself succeeded). */
  readonly busPublishFailures: Counter;
  /** Non-critical pipeline consumers that failed, by consumer. */
  readonly consumerFailures: Counter<'consumer'>;
  /** Connections closed because their session ended: `expired` (or refused on a later check), `revoked`. */
  readonly sessionsEnded: Counter<'reason'>;
  /** Revocations this instance applied, by where they came from: `local` (a call here) or `bus`. */
  readonly revocations: Counter<'source'>;
  /** HTTP API requests answered, by route (`POST /api/v1/users/:uid/items`…) and HTTP status. */
  readonly apiRequests: Counter<'route' | 'status'>;
  /** HTTP API request durations in seconds, by route. */
  readonly apiSeconds: Histogram<'route'>;

  constructor(sources: MetricsSources, registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.connections = new Gauge({
      name: 'gregor_connections',
      help: 'Open client connections',
      registers,
    });
    const sampled = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    sampled(
      'gregor_users',
      'Users with at least one local connection (user actors)',
      sources.users,
    );
    sampled(
      'gregor_mailbox_queued',
      'Jobs waiting in the per-user mailboxes',
      sources.mailboxQueued,
    );
    sampled(
      'gregor_mailbox_active_users',
      'Users with a running or waiting mailbox job',
      sources.mailboxActiveKeys,
    );
    this.consumes = new Counter({
      name: 'gregor_consumes_total',
      help: 'Consume calls by kind (message, publish, multi) and result (ok or error code)',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'gregor_deliveries_total',
      help: 'broadcastMessage calls to connections by result (ok or error code)',
      labelNames: ['result'],
      registers,
    });
    this.slowConnectionsClosed = new Counter({
      name: 'gregor_slow_connections_closed_total',
      help: 'Connections closed for a broadcast timeout or a full write buffer',
      registers,
    });
    this.connectionsRefused = new Counter({
      name: 'gregor_connections_refused_total',
      help: 'Connections refused by a connection limit, by what was at its bound (address or user)',
      labelNames: ['by'],
      registers,
    });
    this.frameReadTimeouts = new Counter({
      name: 'gregor_frame_read_timeouts_total',
      help: 'Connections closed because a frame did not complete within the frame read timeout',
      registers,
    });
    this.storageSeconds = new Histogram({
      name: 'gregor_storage_seconds',
      help: 'Storage call latency by operation',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.authFailures = new Counter({
      name: 'gregor_auth_failures_total',
      help: 'Refused logins and failed session re-checks by error code',
      labelNames: ['code'],
      registers,
    });
    this.protocolRefusals = new Counter({
      name: 'gregor_protocol_refusals_total',
      help: 'Frames refused for their encoding (connection closed, or call answered with the error), by error code',
      labelNames: ['code'],
      registers,
    });
    this.busPublishFailures = new Counter({
      name: 'gregor_bus_publish_failures_total',
      help: 'Publications to the bus that failed (the consume still succeeded)',
      registers,
    });
    this.consumerFailures = new Counter({
      name: 'gregor_consumer_failures_total',
      help: 'Non-critical pipeline consumers that failed, by consumer',
      labelNames: ['consumer'],
      registers,
    });
    this.sessionsEnded = new Counter({
      name: 'gregor_sessions_ended_total',
      help: 'Connections closed because their session ended, by reason (expired, revoked)',
      labelNames: ['reason'],
      registers,
    });
    this.revocations = new Counter({
      name: 'gregor_revocations_total',
      help: 'Session and user revocations applied, by source (local call, or bus from another instance)',
      labelNames: ['source'],
      registers,
    });
    this.apiRequests = new Counter({
      name: 'gregor_api_requests_total',
      help: 'HTTP API requests answered, by route and HTTP status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.apiSeconds = new Histogram({
      name: 'gregor_api_request_seconds',
      help: 'HTTP API request duration by route, from its first byte to its answer',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  /** Time `fn` into the storage histogram under `op`. */
  async timeStorage<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const end = this.storageSeconds.startTimer({ op });
    try {
      return await fn();
    } finally {
      end();
    }
  }
}
