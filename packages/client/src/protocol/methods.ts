/**
 * The one table of gregor.1 methods (docs/protocol.md, "Methods").
 *
 * Every `gregor.1.<protocol>.<method>` is declared here once, with its argument and result codecs
 * and who may call it. The server dispatcher and the client stubs derive from this table, so no
 * method name appears as a string anywhere else.
 */
import {
  decodeAuthResult,
  decodeConnectedUser,
  decodeDeviceID,
  decodeMessage,
  decodeReminderID,
  decodeReminderSet,
  decodeState,
  decodeSyncResult,
  decodeTimeOrOffset,
  decodeUID,
} from './decode.js';
import { readArray, readInt, readMap, readString } from './fields.js';
import type {
  AuthResult,
  ConnectedUser,
  DeviceID,
  Message,
  ReminderID,
  ReminderSet,
  SessionID,
  SessionToken,
  State,
  SyncResult,
  Time,
  TimeOrOffset,
  UID,
} from './records.js';
import { stateToWire, toGoShape } from './wire.js';

/**
 * Who may call a method on gregord:
 * - `none`: anyone, even before login (ping);
 * - `login`: the login call itself;
 * - `uid`: a session whose uid is the argument's uid, or the superuser;
 * - `message`: like `uid`, for the uid inside the message;
 * - `superuser`: only the superuser;
 * - `peer`: not served by gregord to clients; called by gregord on a client or by authd on gregord.
 */
export type MethodAuth = 'none' | 'login' | 'uid' | 'message' | 'superuser' | 'peer';

/** One method: its wire name, who may call it, and how its argument and result cross the wire. */
export interface MethodSpec<A, R> {
  readonly name: string;
  readonly auth: MethodAuth;
  decodeArg(raw: unknown): A;
  encodeArg(arg: A): unknown;
  decodeResult(raw: unknown): R;
  encodeResult(result: R): unknown;
}

const ARG = 'arg';

/** Declare one method: its argument is the one-element map of the wire, its result `toGoShape`d. */
export function method<A, R>(
  name: string,
  auth: MethodAuth,
  decodeArg: (m: Record<string, unknown>) => A,
  decodeResult: (raw: unknown) => R,
  encodeResult: (r: R) => unknown = toGoShape,
): MethodSpec<A, R> {
  return {
    name,
    auth,
    decodeArg: (raw) => decodeArg(readMap(raw, ARG)),
    encodeArg: toGoShape,
    decodeResult,
    encodeResult,
  };
}

const nothing = (): void => undefined;
const voidResult = (): null => null;
const str = (raw: unknown): string => readString(raw, 'result');

export interface SyncArg {
  uid: UID;
  deviceid: DeviceID | null;
  ctime: Time;
}
export interface StateArg {
  uid: UID;
  deviceid: DeviceID | null;
  timeOrOffset: TimeOrOffset;
}
export interface StateByCategoryPrefixArg extends StateArg {
  categoryPrefix: string;
}

/** Every method of gregor.1, keyed by a short name. */
export const METHODS = {
  authenticateSessionToken: method<{ session: SessionToken }, AuthResult>(
    'gregor.1.auth.authenticateSessionToken',
    'login',
    (m) => ({ session: readString(m.session, 'arg.session') }),
    (raw) => decodeAuthResult(raw, 'result'),
  ),
  createGregorSuperUserSessionToken: method<Record<string, never>, SessionToken>(
    'gregor.1.authInternal.createGregorSuperUserSessionToken',
    'peer',
    () => ({}),
    str,
  ),
  revokeSessionIDs: method<{ sessionIDs: SessionID[] }, void>(
    'gregor.1.authUpdate.revokeSessionIDs',
    'peer',
    (m) => ({ sessionIDs: readArray(m.sessionIDs, 'arg.sessionIDs', readString) }),
    nothing,
    voidResult,
  ),
  sync: method<SyncArg, SyncResult>(
    'gregor.1.incoming.sync',
    'uid',
    (m) => ({
      uid: decodeUID(m.uid, 'arg.uid'),
      deviceid: decodeDeviceID(m.deviceid, 'arg.deviceid'),
      ctime: readInt(m.ctime, 'arg.ctime'),
    }),
    (raw) => decodeSyncResult(raw, 'result'),
  ),
  consumeMessage: method<{ m: Message }, void>(
    'gregor.1.incoming.consumeMessage',
    'message',
    (m) => ({ m: decodeMessage(m.m, 'arg.m') }),
    nothing,
    voidResult,
  ),
  consumePublishMessage: method<{ m: Message }, void>(
    'gregor.1.incoming.consumePublishMessage',
    'superuser',
    (m) => ({ m: decodeMessage(m.m, 'arg.m') }),
    nothing,
    voidResult,
  ),
  consumeMessageMulti: method<{ msg: Message; uids: UID[] }, void>(
    'gregor.1.incoming.consumeMessageMulti',
    'superuser',
    (m) => ({
      msg: decodeMessage(m.msg, 'arg.msg'),
      uids: readArray(m.uids, 'arg.uids', decodeUID),
    }),
    nothing,
    voidResult,
  ),
  ping: method<Record<string, never>, string>('gregor.1.incoming.ping', 'none', () => ({}), str),
  version: method<{ uid: UID }, string>(
    'gregor.1.incoming.version',
    'uid',
    (m) => ({ uid: decodeUID(m.uid, 'arg.uid') }),
    str,
  ),
  state: method<StateArg, State>(
    'gregor.1.incoming.state',
    'uid',
    (m) => ({
      uid: decodeUID(m.uid, 'arg.uid'),
      deviceid: decodeDeviceID(m.deviceid, 'arg.deviceid'),
      timeOrOffset: decodeTimeOrOffset(m.timeOrOffset, 'arg.timeOrOffset'),
    }),
    (raw) => decodeState(raw, 'result'),
    stateToWire,
  ),
  stateByCategoryPrefix: method<StateByCategoryPrefixArg, State>(
    'gregor.1.incoming.stateByCategoryPrefix',
    'uid',
    (m) => ({
      uid: decodeUID(m.uid, 'arg.uid'),
      deviceid: decodeDeviceID(m.deviceid, 'arg.deviceid'),
      timeOrOffset: decodeTimeOrOffset(m.timeOrOffset, 'arg.timeOrOffset'),
      categoryPrefix: readString(m.categoryPrefix, 'arg.categoryPrefix'),
    }),
    (raw) => decodeState(raw, 'result'),
    stateToWire,
  ),
  describeConnectedUsers: method<{ uids: UID[] }, ConnectedUser[]>(
    'gregor.1.incoming.describeConnectedUsers',
    'superuser',
    (m) => ({ uids: readArray(m.uids, 'arg.uids', decodeUID) }),
    (raw) => readArray(raw, 'result', decodeConnectedUser),
  ),
  describeConnectedUsersInternal: method<{ uids: UID[] }, ConnectedUser[]>(
    'gregor.1.incoming.describeConnectedUsersInternal',
    'superuser',
    (m) => ({ uids: readArray(m.uids, 'arg.uids', decodeUID) }),
    (raw) => readArray(raw, 'result', decodeConnectedUser),
  ),
  broadcastMessage: method<{ m: Message }, void>(
    'gregor.1.outgoing.broadcastMessage',
    'peer',
    (m) => ({ m: decodeMessage(m.m, 'arg.m') }),
    nothing,
    voidResult,
  ),
  getReminders: method<{ maxReminders: number }, ReminderSet>(
    'gregor.1.remind.getReminders',
    'superuser',
    (m) => ({ maxReminders: readInt(m.maxReminders, 'arg.maxReminders') }),
    (raw) => decodeReminderSet(raw, 'result'),
  ),
  deleteReminders: method<{ reminderIDs: ReminderID[] }, void>(
    'gregor.1.remind.deleteReminders',
    'superuser',
    (m) => ({ reminderIDs: readArray(m.reminderIDs, 'arg.reminderIDs', decodeReminderID) }),
    nothing,
    voidResult,
  ),
} as const;

export type MethodKey = keyof typeof METHODS;
/** The argument type of a method. */
export type MethodArg<K extends MethodKey> =
  (typeof METHODS)[K] extends MethodSpec<infer A, unknown> ? A : never;
/** The result type of a method. */
export type MethodResult<K extends MethodKey> =
  (typeof METHODS)[K] extends MethodSpec<unknown, infer R> ? R : never;

/** Look a method up by its wire name. */
export const METHODS_BY_NAME: ReadonlyMap<string, MethodSpec<unknown, unknown>> = new Map(
  Object.values(METHODS).map((spec) => [spec.name, spec as MethodSpec<unknown, unknown>]),
);
