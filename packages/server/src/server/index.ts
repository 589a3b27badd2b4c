/**
 * The embeddable server: GregorServer (one instance of gregord as a library) and the components it
 * wires — Hub, Mailbox, Pipeline and its consumers, connections, the dispatcher, metrics. It takes
 * its storage, bus and authenticator ready-made; reading gregord's flags and opening those from a
 * configuration is the daemon's job (`../daemon/`), deciding who a session is is `../auth/`'s.
 */
export { encodeBroadcastArgs } from './broadcast-payload.js';
export { BroadcasterConsumer } from './broadcaster-consumer.js';
export { Connection, connectionOf } from './connection.js';
export { Delivery } from './delivery.js';
export type { DispatchServices, MethodImpl, ServedMethod } from './dispatch-services.js';
export { createDispatcher } from './dispatcher.js';
export { DEFAULT_WS_PATH, HttpSide, READY_PROBE_TIMEOUT_MS } from './http-side.js';
export { Hub, type HubOptions } from './hub.js';
export type { HubMember } from './hub-member.js';
export {
  DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY,
  type EnqueueOptions,
  Mailbox,
  type MailboxOptions,
} from './mailbox.js';
export { resyncMessage, withCTime, withUID } from './message-edit.js';
export { CONSUME_KIND, type ConsumeKind, ServerMetrics } from './metrics.js';
export { ANY_ORIGIN, isLoopbackHost } from './origin-policy.js';
export { type ConsumerFailureListener, Pipeline, type PipelineConsumer } from './pipeline.js';
export { PublisherConsumer } from './publisher-consumer.js';
export { PONG } from './query-handlers.js';
export {
  GregorServer,
  SERVER_STATE,
  type ServerAddresses,
  type ServerState,
} from './server.js';
export {
  DEFAULT_AUTH_TIMEOUT_MS,
  DEFAULT_BROADCAST_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_GATHER_TIMEOUT_MS,
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_SERVER_FRAME_READ_TIMEOUT_MS,
  DEFAULT_SERVER_VERSION,
  type GregorServerOptions,
  type HttpListenOptions,
  type OwnedComponents,
  resolveServerSettings,
  type ServerSettings,
  type TcpListenOptions,
} from './server-options.js';
export { DEFAULT_STORAGE_TIMEOUT_MS, StorageConsumer } from './storage-consumer.js';
export { UserActor } from './user-actor.js';
