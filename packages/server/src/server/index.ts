/**
 * The embeddable server: GregorServer, one instance of gregord as a library, with its options and
 * the defaults a user may want to start from. It takes its storage, bus and authenticator
 * ready-made; reading gregord's flags and opening those from a configuration is the daemon's job
 * (`../daemon/`), deciding who a session is is `../auth/`'s. A transport is a Listener (TCP/TLS
 * and HTTP are built in; others are passed in `listeners`). `internal.ts` adds the components
 * GregorServer wires (Hub, Mailbox, Pipeline and its consumers, connections, the dispatcher).
 */
export { DEFAULT_WS_PATH } from './http-side.js';
export type { Listener, ListenerAddress, ListenerContext } from './listener.js';
export { DEFAULT_MAILBOX_MAX_QUEUED_PER_KEY } from './mailbox.js';
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
  type TcpListenOptions,
} from './server-options.js';
export { DEFAULT_STORAGE_TIMEOUT_MS } from './storage-consumer.js';
