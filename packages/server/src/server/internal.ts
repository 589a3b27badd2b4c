/**
 * The server layer as the daemon and the tests see it: the public surface of `index.ts`, plus the
 * components GregorServer wires (Hub, Mailbox, Pipeline and its consumers, connections, the
 * dispatcher, metrics) and the helpers the daemon shares with it. Not part of the public API.
 */

export { encodeBroadcastArgs } from './broadcast-payload.js';
export { BroadcasterConsumer } from './broadcaster-consumer.js';
export { Connection, connectionOf } from './connection.js';
export { Delivery } from './delivery.js';
export type { DispatchServices, MethodImpl, ServedMethod } from './dispatch-services.js';
export { createDispatcher } from './dispatcher.js';
export { HttpListener } from './http-listener.js';
export { buildHttpApp, type HttpApp, HttpSide, READY_PROBE_TIMEOUT_MS } from './http-side.js';
export { Hub, type HubOptions } from './hub.js';
export type { HubMember } from './hub-member.js';
export * from './index.js';
export {
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
export { resolveServerSettings, type ServerSettings } from './server-options.js';
export { StorageConsumer } from './storage-consumer.js';
export { TcpListener } from './tcp-listener.js';
export { UserActor } from './user-actor.js';
