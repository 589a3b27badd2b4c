/**
 * What the method handlers share, and the shape of one handler (docs/protocol.md, "Methods"). Each
 * handler serves one entry of the `METHODS` table; the dispatcher derives the wire names, argument
 * decoding, auth gate and result encoding from that table.
 */
import type {
  GREGORD_METHODS,
  GregordMethodKey,
  MethodArg,
  MethodKey,
  MethodResult,
  MethodSpec,
} from 'gregor-client/protocol';
import type { StateMachine } from 'gregor-client/state';
import type { Bus } from '../pubsub/index.js';
import type { CallTracker } from './call-tracker.js';
import type { Connection } from './connection.js';
import type { Hub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { ReadGate } from './read-gate.js';
import type { ServerSettings } from './server-options.js';
import type { SessionRevoker } from './session-revoker.js';

/** The server components a handler may use. */
export interface DispatchServices {
  readonly hub: Hub;
  readonly stateMachine: StateMachine;
  readonly bus: Bus;
  readonly metrics: ServerMetrics;
  readonly settings: ServerSettings;
  /** The calls being served, for close() to wait on. */
  readonly calls: CallTracker;
  /** The bound on reads running at once, per caller (a connection or an API key) and per user. */
  readonly reads: ReadGate<object>;
  /** Revokes sessions here and on the other instances. */
  readonly revoker: SessionRevoker;
}

/** Methods gregord serves to its clients: every METHODS entry except the `peer` ones. */
export type ServedMethod = Exclude<
  MethodKey,
  'createGregorSuperUserSessionToken' | 'revokeSessionIDs' | 'broadcastMessage'
>;

/** The implementation of a method taking `A` and answering `R`; its auth gate has passed when `run` runs. */
export interface Implementation<A, R> {
  run(services: DispatchServices, conn: Connection, arg: A, signal: AbortSignal): Promise<R> | R;
  /** Close the connection when the auth gate refuses the call (consumePublishMessage). */
  readonly closeOnDenied?: boolean;
}

/** The implementation of one served gregor.1 method. */
export type MethodImpl<K extends ServedMethod> = Implementation<MethodArg<K>, MethodResult<K>>;

/** The implementation of one gregord-only method. */
export type GregordMethodImpl<K extends GregordMethodKey> =
  (typeof GREGORD_METHODS)[K] extends MethodSpec<infer A, infer R> ? Implementation<A, R> : never;
