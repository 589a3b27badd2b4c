/**
 * What the method handlers share, and the shape of one handler (gregor-protocol.md §5). Each
 * handler serves one entry of the `METHODS` table; the dispatcher derives the wire names, argument
 * decoding, auth gate and result encoding from that table.
 */
import type { MethodArg, MethodKey, MethodResult } from '../protocol/index.js';
import type { Bus } from '../pubsub/index.js';
import type { StateMachine } from '../state/index.js';
import type { CallTracker } from './call-tracker.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { ReadGate } from './read-gate.js';
import type { ServerSettings } from './server-options.js';

/** The server components a handler may use. */
export interface DispatchServices {
  readonly hub: Hub;
  readonly stateMachine: StateMachine;
  readonly bus: Bus;
  readonly metrics: ServerMetrics;
  readonly settings: ServerSettings;
  /** The calls being served, for close() to wait on. */
  readonly calls: CallTracker;
  /** The bound on reads running at once, per connection and per user. */
  readonly reads: ReadGate<Connection>;
}

/** Methods gregord serves to its clients: every METHODS entry except the `peer` ones. */
export type ServedMethod = Exclude<
  MethodKey,
  'createGregorSuperUserSessionToken' | 'revokeSessionIDs' | 'broadcastMessage'
>;

/** The implementation of one served method; its auth gate has already passed when `run` runs. */
export interface MethodImpl<K extends ServedMethod> {
  run(
    services: DispatchServices,
    conn: Connection,
    arg: MethodArg<K>,
    signal: AbortSignal,
  ): Promise<MethodResult<K>> | MethodResult<K>;
  /** Close the connection when the auth gate refuses the call (consumePublishMessage, §6.3). */
  readonly closeOnDenied?: boolean;
}
