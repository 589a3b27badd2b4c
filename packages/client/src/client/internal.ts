/**
 * The client layer as the tests and the other layers see it: the public surface of `index.ts`
 * (Node connectors included), plus the components GregorClient and Gregor wire (replica, outbox,
 * syncer, session keeper, reconnector, status stream, change feed, write acks), the saved-state
 * encoding, and the helpers underneath. Not part of the package's public API.
 */

export { backoffDelayMs, reconnectDelayMs } from '../rpc/browser.js';
export { BroadcastReceiver, type BroadcastReceiverOptions } from './broadcast-receiver.js';
export { ChangeFeed } from './change-feed.js';
export { ClientEvents } from './client-events.js';
export { type ClientSettings, resolveClientSettings } from './client-options.js';
export { type ConnectorFactory, connectWith } from './connect.js';
export { nodeConnectorFor } from './connect-node.js';
export { browserConnectorFor } from './connect-web.js';
export { gregorStatusOf } from './gregor.js';
export * from './index.js';
export { encodeBody } from './item-view.js';
export { LocalReplica, type LocalReplicaOptions } from './local-replica.js';
export { Outbox, type OutboxOptions, type OutboxPass } from './outbox.js';
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
export { StatusStream } from './status-stream.js';
export { creationsOf, Syncer, type SyncOutcome } from './syncer.js';
export { globalTimers } from './timers.js';
export { WriteAcks } from './write-acks.js';
