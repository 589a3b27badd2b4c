/**
 * gregor-server as a library: the embeddable server, the authenticators it asks, gregord's
 * configuration and start, its storage engines and buses. Each layer is also importable on its
 * own (`gregor-server/server`, `/auth`, `/daemon`, `/storage`, `/pubsub`; see package.json
 * "exports"), each its public surface only. The protocol, the state rules and the client are in
 * `gregor-client`.
 */

export * from 'gregor-client/errors';
export * as auth from './auth/index.js';
export {
  type Authenticator,
  MockAuthenticator,
  mintToken,
  RemoteAuthenticator,
  SignedTokenAuthenticator,
} from './auth/index.js';
export {
  type AuthOption,
  type CreateServerOptions,
  createServer,
  type EmbeddedServer,
  type ListenOption,
  type MintOptions,
} from './daemon/create-server.js';
export * as daemon from './daemon/index.js';
export { type GregordConfig, parseGregordConfig, startGregord } from './daemon/index.js';
export * as pubsub from './pubsub/index.js';
export { type Bus, InProcessBus, RedisBus } from './pubsub/index.js';
export * as server from './server/index.js';
export { GregorServer, type GregorServerOptions, type Listener } from './server/index.js';
export * as storage from './storage/index.js';
export { openSqlEngine } from './storage/index.js';
