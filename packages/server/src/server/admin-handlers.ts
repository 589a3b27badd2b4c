/**
 * The superuser methods (docs/protocol.md, "Methods"): describeConnectedUsers (cluster-wide, via
 * `bus.gather`), describeConnectedUsersInternal (this instance), getReminders, deleteReminders;
 * and gregord's own revokeSessions.
 * The dispatcher's gate has already required the superuser.
 */
import { gregorError } from 'gregor-client/errors';
import type { ConnectedUser, ReminderID, ReminderSet, UID } from 'gregor-client/protocol';
import {
  decodeDescribeReply,
  encodeDescribeRequest,
  mergeConnectedUsers,
} from './cluster-describe.js';
import type { DispatchServices, GregordMethodImpl, MethodImpl } from './dispatch-services.js';
import { storageCall } from './storage-call.js';

/** `describeConnectedUsersInternal`: the local connections of `uids`. */
export const describeConnectedUsersInternal: MethodImpl<'describeConnectedUsersInternal'> = {
  run: ({ hub }, _conn, { uids }) => hub.describe(uids),
};

/**
 * The connected devices of `uids` across the cluster: the local connections plus whatever the other
 * instances answer within `gatherTimeoutMs`. An instance that answers late or garbled is left
 * out, not an error.
 */
export async function describeCluster(
  { hub, bus, settings }: DispatchServices,
  uids: readonly UID[],
  signal: AbortSignal,
): Promise<ConnectedUser[]> {
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
}

/** `describeConnectedUsers`: see describeCluster. */
export const describeConnectedUsers: MethodImpl<'describeConnectedUsers'> = {
  run: (services, _conn, { uids }, signal) => describeCluster(services, uids, signal),
};

/** Up to `max` due reminders, each locked for the engine's lock duration. */
export function claimReminders(
  { stateMachine: sm, metrics, settings }: DispatchServices,
  max: number,
  signal: AbortSignal,
): Promise<ReminderSet> {
  if (max < 0) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'arg.maxReminders must not be negative');
  }
  return storageCall(metrics, 'reminders', () =>
    sm.reminders(max, { signal, timeoutMs: settings.storageTimeoutMs }),
  );
}

/** Delete reminders `ids`, in order; the first failure stops the loop and is returned. */
export async function deleteRemindersInOrder(
  { stateMachine: sm, metrics, settings }: DispatchServices,
  ids: readonly ReminderID[],
  signal: AbortSignal,
): Promise<void> {
  const opts = { signal, timeoutMs: settings.storageTimeoutMs };
  for (const id of ids) {
    await storageCall(metrics, 'deleteReminder', () => sm.deleteReminder(id, opts));
  }
}

/** `getReminders`: see claimReminders. */
export const getReminders: MethodImpl<'getReminders'> = {
  run: (services, _conn, { maxReminders }, signal) =>
    claimReminders(services, maxReminders, signal),
};

/** `deleteReminders`: see deleteRemindersInOrder. */
export const deleteReminders: MethodImpl<'deleteReminders'> = {
  run: (services, _conn, { reminderIDs }, signal) =>
    deleteRemindersInOrder(services, reminderIDs, signal),
};

/** gregord's `revokeSessions`: revoke here and announce to the other instances (SessionRevoker). */
export const revokeSessions: GregordMethodImpl<'revokeSessions'> = {
  run: async ({ revoker }, _conn, arg) => ({ closed: await revoker.revoke(arg) }),
};
