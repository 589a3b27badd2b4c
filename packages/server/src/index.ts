/**
 * gregor-server as a library: the embeddable server, its storage engines and buses. Each layer is
 * also importable on its own (`gregor-server/storage`, `gregor-server/pubsub`, …; see
 * package.json "exports"). The protocol, the state rules and the client are in `gregor-client`.
 */

export * from 'gregor-client/errors';
export * as daemon from './daemon/index.js';
export { parseGregordConfig, startGregord } from './daemon/index.js';
export * as pubsub from './pubsub/index.js';
export { InProcessBus, RedisBus } from './pubsub/index.js';
export * as server from './server/index.js';
export { GregorServer } from './server/index.js';
export * as storage from './storage/index.js';
export { openSqlEngine } from './storage/index.js';
