/**
 * The read methods and the trivial ones (docs/protocol.md, "Methods"): sync, state,
 * stateByCategoryPrefix, ping, version. Reads go straight to the state machine, not through the
 * user's mailbox, as gregord's storage queue did: a sync does not wait behind the user's consumes.
 * They are bounded instead: a few at once per connection and per user, each answer one frame.
 */
import {
  type DeviceID,
  type State,
  type SyncResult,
  stateHash,
  type Time,
  type TimeOrOffset,
  type UID,
} from 'gregor-client/protocol';
import type { ReadOptions } from 'gregor-client/state';
import type { DispatchServices, MethodImpl } from './dispatch-services.js';
import type { ServerSettings } from './server-options.js';
import { storageCall } from './storage-call.js';

/** The answer of ping. */
export const PONG = 'pong';

/** `ping`: "pong", with or without a session (case 66). */
export const ping: MethodImpl<'ping'> = { run: () => PONG };

/** `version`: the server's version string. */
export const version: MethodImpl<'version'> = { run: (services) => services.settings.version };

/**
 * Every read passes the read gate (read-gate.ts) and asks for an answer of at most one frame, so
 * an oversized answer is refused before it is built whole (GREGOR_ERR_RESULT_TOO_LARGE).
 */
function readOptions(settings: ServerSettings, signal: AbortSignal): ReadOptions {
  return { signal, timeoutMs: settings.storageTimeoutMs, maxResultBytes: settings.maxResultBytes };
}

/**
 * The in-band messages since `ctime` and the hash of State(uid, deviceid, nil) (docs/data-model.md,
 * "Sync: the log since a time": the hash path passes nil, so items with a future ctime count), as
 * a read of `caller` (a connection, or an HTTP API key) through the read gate.
 */
export function readSync(
  { stateMachine: sm, metrics, settings, reads }: DispatchServices,
  caller: object,
  arg: SyncQuery,
  signal: AbortSignal,
): Promise<SyncResult> {
  return reads.run(caller, arg.uid, async () => {
    const opts = readOptions(settings, signal);
    const msgs = await storageCall(metrics, 'since', () =>
      sm.inBandMessagesSince(arg.uid, arg.deviceid, arg.ctime, opts),
    );
    const state = await storageCall(metrics, 'state', () =>
      sm.state(arg.uid, arg.deviceid, null, opts),
    );
    return { msgs, hash: stateHash(state) };
  });
}

/** What a state read asks for: `timeOrOffset` null is now; `categoryPrefix` narrows it. */
export interface StateQuery {
  uid: UID;
  deviceid: DeviceID | null;
  timeOrOffset: TimeOrOffset | null;
  categoryPrefix?: string;
}

/** What a sync asks for: the log of `uid` since `ctime`, as `deviceid` sees it. */
export interface SyncQuery {
  uid: UID;
  deviceid: DeviceID | null;
  ctime: Time;
}

/**
 * State(uid, deviceid, timeOrOffset), only the items whose category starts with `categoryPrefix`
 * when one is given, as a read of `caller` through the read gate.
 */
export function readState(
  { stateMachine: sm, metrics, settings, reads }: DispatchServices,
  caller: object,
  arg: StateQuery,
  signal: AbortSignal,
): Promise<State> {
  const { uid, deviceid, timeOrOffset, categoryPrefix } = arg;
  return reads.run(caller, uid, () =>
    storageCall(metrics, 'state', () =>
      categoryPrefix === undefined
        ? sm.state(uid, deviceid, timeOrOffset, readOptions(settings, signal))
        : sm.stateByCategoryPrefix(
            uid,
            deviceid,
            timeOrOffset,
            categoryPrefix,
            readOptions(settings, signal),
          ),
    ),
  );
}

/** `sync`: see readSync. */
export const sync: MethodImpl<'sync'> = {
  run: (services, conn, arg, signal) => readSync(services, conn, arg, signal),
};

/** `state`: State(uid, deviceid, timeOrOffset); the zero timeOrOffset means "now". */
export const state: MethodImpl<'state'> = {
  run: (services, conn, arg, signal) => readState(services, conn, arg, signal),
};

/**
 * `stateByCategoryPrefix`, honouring deviceid and timeOrOffset (the Go snapshot ignored both;
 * the protocol names them, so a client asking for a device's view gets it).
 */
export const stateByCategoryPrefix: MethodImpl<'stateByCategoryPrefix'> = {
  run: (services, conn, arg, signal) => readState(services, conn, arg, signal),
};
