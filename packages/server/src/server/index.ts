/**
 * The embeddable server: GregorServer, one instance of gregord as a library, with its options and
 * the defaults a user may want to start from. It takes its storage, bus and authenticator
 * ready-made; reading gregord's flags and opening those from a configuration is the daemon's job
 * (`../daemon/`), deciding who a session is is `../auth/`'s. A transport is a Listener (TCP/TLS
 * and HTTP are built in; others are passed in `listeners`). The HTTP listener also serves the HTTP
 * API for backends (`api`), whose operations `GregorServer.backend` offers in-process. `internal.ts` adds the components
 * GregorServer wires (Hub, Mailbox, Pipeline and its consumers, connections, the dispatcher).
 */
export { type ApiKey, ApiKeys, MIN_API_KEY_LENGTH } from './api-keys.js';
export { API_BASE, DEFAULT_CLAIM_MAX, OPENAPI_PATH } from './api-routes.js';
export { BackendOperations } from './backend-operations.js';
export {
  DEFAULT_API_MAX_BODY_BYTES,
  DEFAULT_API_MAX_IN_FLIGHT_PER_KEY,
  DEFAULT_WS_PATH,
} from './http-side.js';
export type { Listener, ListenerAddress, ListenerContext } from './listener.js';
export { DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY } from './mailbox.js';
export {
  DEFAULT_RETENTION_BATCH_ROWS,
  DEFAULT_RETENTION_INTERVAL_MS,
  DEFAULT_RETENTION_LEASE_MS,
  MIN_RETENTION_MS,
  RetentionJob,
  type RetentionOptions,
  type RetentionRun,
} from './retention-job.js';
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
  type HttpApiOptions,
  type HttpListenOptions,
  type OwnedComponents,
  type TcpListenOptions,
} from './server-options.js';
export { DEFAULT_STORAGE_TIMEOUT_MS } from './storage-consumer.js';
