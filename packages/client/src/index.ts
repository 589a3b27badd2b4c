/**
 * gregor-client for Node: the client (with TCP, TLS and WebSocket connectors and file storage),
 * the typed errors, and the gregor.1 records as the `protocol` namespace for those who build
 * messages by hand. Browsers get `./browser.ts` instead (the "browser" export condition).
 */

export * from './client/index.js';
export * from './errors.js';
export * as protocol from './protocol/index.js';
