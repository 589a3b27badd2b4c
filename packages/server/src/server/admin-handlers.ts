/**
 * The superuser methods (docs/protocol.md, "Methods"): describeConnectedUsers (cluster-wide, via
 * `bus.gather`), describeConnectedUsersInternal (this instance), getReminders, deleteReminders;
 * and gregord's own revokeSessions.
 * The dispatcher's gate has already required the superuser.
 */
import { gregorError } from 'gregor-client/errors';
import type { ConnectedUser } from 'gregor-client/protocol';
import {
  decodeDescribeReply,
  encodeDescribeRequest,
  mergeConnectedUsers,
} from './cluster-describe.js';
import type { GregordMethodImpl, MethodImpl } from './dispatch-services.js';
import { storageCall } from './storage-call.js';

/** `describeConnectedUsersInternal`: the local connections of `uids`. */
export const describeConnectedUsersInternal: MethodImpl<'describeConnectedUsersInternal'> = {
  run: ({ hub }, _conn, { uids }) => hub.describe(uids),
};

/**
 * `describeConnectedUsers`: the local connections plus whatever the other instances answer within
 * `gatherTimeoutMs`. An instance that answers late or garbled is left out, not an error.
 */
export const describeConnectedUsers: MethodImpl<'describeConnectedUsers'> = {
  run: async ({ hub, bus, settings }, _conn, { uids }, signal) => {
    const local = hub.describe(uids);
    if (uids.length === 0) return local;
    const replies = await bus.gather(encodeDescribeRequest(uids), {
      timeoutMs: settings.gatherTimeoutMs,
      signal,
    });
    const lists: ConnectedUser[][] = [local];
    for (const reply of replies) {
      try {
        lists.push(decodeDescribeReply(reply));
      } catch {
        // Another instance's malformed reply only loses that instance's view.
      }
    }
    return mergeConnectedUsers(lists);
  },
};

/** `getReminders`: due reminders, each locked for the engine's lock duration. */
export const getReminders: MethodImpl<'getReminders'> = {
  run: ({ stateMachine: sm, metrics, settings }, _conn, { maxReminders }, signal) => {
    if (maxReminders < 0) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'arg.maxReminders must not be negative');
    }
    return storageCall(metrics, 'reminders', () =>
      sm.reminders(maxReminders, { signal, timeoutMs: settings.storageTimeoutMs }),
    );
  },
};

/** `deleteReminders`: in order; the first failure stops the loop and is returned. */
export const deleteReminders: MethodImpl<'deleteReminders'> = {
  run: async ({ stateMachine: sm, metrics, settings }, _conn, { reminderIDs }, signal) => {
    const opts = { signal, timeoutMs: settings.storageTimeoutMs };
    for (const id of reminderIDs) {
      await storageCall(metrics, 'deleteReminder', () => sm.deleteReminder(id, opts));
    }
  },
};

/** gregord's `revokeSessions`: revoke here and announce to the other instances (SessionRevoker). */
export const revokeSessions: GregordMethodImpl<'revokeSessions'> = {
  run: async ({ revoker }, _conn, arg) => ({ closed: await revoker.revoke(arg) }),
};
