/**
 * The browser-safe surface of the client layer: GregorClient and the components it wires, the
 * storage seam, the reconnect policy, and the standard-WebSocket connector. Nothing here loads a
 * Node module (test/unit/consistency/browser-bundle.test.ts bundles it for a browser to prove it).
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
  backoffDelayMs,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  type GregorAddress,
  parseGregorUrl,
  type ReconnectBackoff,
  type ReconnectPolicy,
  reconnectDelayMs,
} from '../rpc/browser.js';
export { BroadcastReceiver, type BroadcastReceiverOptions } from './broadcast-receiver.js';
export { ChangeFeed, DEFAULT_CHANGE_BUFFER, type Overflow } from './change-feed.js';
export { type ClientEventMap, type ClientEventName, ClientEvents } from './client-events.js';
export type { ClientLogger } from './client-logger.js';
export { silentClientLogger } from './client-logger.js';
export type {
  ClientSettings,
  ConnectFn,
  Connector,
  GregorClientOptions,
  TokenSource,
} from './client-options.js';
export { DEFAULT_CALL_TIMEOUT_MS, resolveClientSettings } from './client-options.js';
export type { ClientStorage } from './client-storage.js';
export { MemoryClientStorage } from './client-storage.js';
export {
  type ConnectOptions,
  type ConnectorFactory,
  connectWith,
} from './connect.js';
export { browserConnectorFor, connect } from './connect-web.js';
export {
  Gregor,
  type GregorChange,
  type GregorChangeOrOverflow,
  type GregorEventMap,
  type GregorEventName,
  type GregorOptions,
  type GregorStatus,
  gregorStatusOf,
  type ItemFilter,
} from './gregor.js';
export { CLIENT_STATE, type ClientState, GregorClient } from './gregor-client.js';
export { GregorConnection, type GregorConnectionOptions } from './gregor-connection.js';
export {
  type CategoryRange,
  categoryDismissalMessage,
  creationMessage,
  dismissalMessage,
  type IdInput,
  type NewItem,
  replaceMessage,
} from './item-messages.js';
export {
  type BodyInput,
  BodyView,
  encodeBody,
  GregorItem,
  type GregorItemFields,
  itemView,
  type JsonValue,
  OutOfBandView,
} from './item-view.js';
export { LocalReplica, type LocalReplicaOptions } from './local-replica.js';
export {
  DEFAULT_OUTBOX_INTERVAL_MS,
  Outbox,
  type OutboxOptions,
  type OutboxPass,
} from './outbox.js';
export {
  decodeSavedLocal,
  decodeSavedState,
  encodeSavedLocal,
  encodeSavedState,
  type SavedLocal,
  storageKeys,
} from './persistence.js';
export { clientReconnectDelayMs, isAuthRefusal, Reconnector } from './reconnector.js';
export { Remote } from './remote.js';
export { SessionKeeper, type SessionKeeperOptions } from './session-keeper.js';
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
  StatusStream,
} from './status-stream.js';
export { creationsOf, DEFAULT_SYNC_TIMEOUT_MS, Syncer, type SyncOutcome } from './syncer.js';
export { globalTimers, type Timers } from './timers.js';
export { standardWebSocketConnector } from './web.js';
export { WriteAcks, type WriteOptions } from './write-acks.js';
