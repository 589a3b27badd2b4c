/**
 * gregor-client for browsers and other runtimes with the standard WebSocket: the same surface as
 * `./index.ts` without the Node connectors and file storage. Nothing reachable from here loads a
 * Node module (a test bundles it for a browser to prove it).
 */

export * from './client/browser.js';
export * from './errors.js';
export * as protocol from './protocol/index.js';
