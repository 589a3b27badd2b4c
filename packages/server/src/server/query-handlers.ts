/**
 * The read methods and the trivial ones (docs/protocol.md, "Methods"): sync, state,
 * stateByCategoryPrefix, ping, version. Reads go straight to the state machine, not through the
 * user's mailbox, as gregord's storage queue did: a sync does not wait behind the user's consumes.
 * They are bounded instead: a few at once per connection and per user, each answer one frame.
 */
import { stateHash } from 'gregor-client/protocol';
import type { ReadOptions } from 'gregor-client/state';
import type { MethodImpl } from './dispatch-services.js';
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
 * `sync`: the in-band messages since `ctime` and the hash of State(uid, deviceid, nil)
 * (docs/data-model.md, "Sync: the log since a time": the hash path passes nil, so items with a
 * future ctime count).
 */
export const sync: MethodImpl<'sync'> = {
  run: ({ stateMachine: sm, metrics, settings, reads }, conn, { uid, deviceid, ctime }, signal) =>
    reads.run(conn, uid, async () => {
      const opts = readOptions(settings, signal);
      const msgs = await storageCall(metrics, 'since', () =>
        sm.inBandMessagesSince(uid, deviceid, ctime, opts),
      );
      const state = await storageCall(metrics, 'state', () => sm.state(uid, deviceid, null, opts));
      return { msgs, hash: stateHash(state) };
    }),
};

/** `state`: State(uid, deviceid, timeOrOffset); the zero timeOrOffset means "now". */
export const state: MethodImpl<'state'> = {
  run: ({ stateMachine: sm, metrics, settings, reads }, conn, arg, signal) =>
    reads.run(conn, arg.uid, () =>
      storageCall(metrics, 'state', () =>
        sm.state(arg.uid, arg.deviceid, arg.timeOrOffset, readOptions(settings, signal)),
      ),
    ),
};

/**
 * `stateByCategoryPrefix`, honouring deviceid and timeOrOffset (the Go snapshot ignored both;
 * the protocol names them, so a client asking for a device's view gets it).
 */
export const stateByCategoryPrefix: MethodImpl<'stateByCategoryPrefix'> = {
  run: ({ stateMachine: sm, metrics, settings, reads }, conn, arg, signal) =>
    reads.run(conn, arg.uid, () =>
      storageCall(metrics, 'state', () =>
        sm.stateByCategoryPrefix(
          arg.uid,
          arg.deviceid,
          arg.timeOrOffset,
          arg.categoryPrefix,
          readOptions(settings, signal),
        ),
      ),
    ),
};
