/**
 * The public surface of the server layer: gregord as a library (GregorServer and its options),
 * the components it wires (Hub, Mailbox, Pipeline and consumers) for embedding and tests, and the
 * Authenticator seam with its implementations, and gregord's configuration and bootstrap (owned by
 * the CLI engineer, re-exported here because this file is the layer's only public surface).
 */
export * from './auth/index.js';
export {
  openAuthenticator,
  type RunningGregord,
  type StartGregordOptions,
  startGregord,
} from './bootstrap.js';
export { encodeBroadcastArgs } from './broadcast-payload.js';
export { BroadcasterConsumer } from './broadcaster-consumer.js';
export {
  type AuthConfig,
  type GregordConfig,
  type GregordConfigInput,
  type LimitsConfig,
  parseGregordConfig,
} from './config.js';
export {
  CONFIG_TABLE,
  type ConfigOption,
  configOption,
  DEFAULT_BIND_ADDRESS,
  DEFAULT_DATA_DIR,
  DEFAULT_HTTP_ADDRESS,
  OPTION_UNIT,
  type OptionKey,
  type OptionUnit,
  optionName,
} from './config-table.js';
export { parseDurationMs, parseListenAddress, parseSwitch } from './config-values.js';
export { Connection, connectionOf } from './connection.js';
export { CreatedPaths } from './created-paths.js';
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
