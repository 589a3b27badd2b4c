/**
 * The public surface of the client layer: everything in browser.ts, plus the Node connectors (TCP,
 * TLS, ws) and the file storage of node.ts, the only file here that uses Node modules. internal.ts
 * adds the components GregorClient wires, for the tests.
 */
export * from './browser.js';
// Node's connect (TCP, TLS and ws) takes the place of the browser's.
export { connect, type NodeConnectOptions } from './connect-node.js';
export type { TcpAddress, TcpConnectorOptions } from './node.js';
export {
  FileClientStorage,
  parseGregorAddress,
  tcpConnector,
  webSocketConnector,
} from './node.js';
