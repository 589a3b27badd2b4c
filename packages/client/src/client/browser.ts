/**
 * The browser-safe public surface of the client layer: `connect` and Gregor, GregorClient with its
 * options and events, the storages, the id helpers, the reconnect policy, and the
 * standard-WebSocket connector. internal.ts adds the components GregorClient wires. Nothing here
 * loads a Node module (test/unit/consistency/browser-bundle.test.ts bundles it for a browser).
 */

export {
  type DeviceID,
  ID_BYTES,
  isHexId,
  type MsgID,
  newId,
  parseDeviceId,
  parseMsgId,
  parseUid,
  RESYNC_SYSTEM,
  toHex,
  type UID,
} from '../protocol/index.js';
export {
  type BackoffDelays,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  type GregorAddress,
  parseGregorUrl,
  type ReconnectBackoff,
  type ReconnectPolicy,
} from '../rpc/browser.js';
export { DEFAULT_CHANGE_BUFFER, type Overflow } from './change-feed.js';
export type { ClientEventMap, ClientEventName } from './client-events.js';
export type { ClientLogger } from './client-logger.js';
export { silentClientLogger } from './client-logger.js';
export type {
  ConnectFn,
  Connector,
  GregorClientOptions,
  TokenSource,
} from './client-options.js';
export { DEFAULT_CALL_TIMEOUT_MS } from './client-options.js';
export type { ClientStorage } from './client-storage.js';
export { MemoryClientStorage } from './client-storage.js';
export type { ConnectOptions } from './connect.js';
export { connect } from './connect-web.js';
export {
  Gregor,
  type GregorChange,
  type GregorChangeOrOverflow,
  type GregorEventMap,
  type GregorEventName,
  type GregorOptions,
  type GregorStatus,
  type ItemFilter,
} from './gregor.js';
export { CLIENT_STATE, type ClientState, GregorClient } from './gregor-client.js';
export { GregorConnection, type GregorConnectionOptions } from './gregor-connection.js';
export {
  type CategoryRange,
  categoryDismissalMessage,
  creationMessage,
  type DismissRange,
  dismissalMessage,
  dismissalsMessage,
  type IdInput,
  type NewItem,
  outOfBandMessage,
  replaceMessage,
} from './item-messages.js';
export {
  type BodyInput,
  BodyView,
  GregorItem,
  type GregorItemFields,
  itemView,
  type JsonValue,
  OutOfBandView,
} from './item-view.js';
export { DEFAULT_OUTBOX_INTERVAL_MS } from './outbox.js';
export {
  type BrowserConnectOptions,
  canShareTabs,
  SharedGregor,
  tabSharingName,
} from './shared-gregor.js';
export {
  type ClientStatus,
  type ClientStatusType,
  DEFAULT_STATUS_BUFFER,
} from './status-stream.js';
export { DEFAULT_SYNC_TIMEOUT_MS } from './syncer.js';
export type { Timers } from './timers.js';
export { standardWebSocketConnector } from './web.js';
export type { WriteOptions } from './write-acks.js';
