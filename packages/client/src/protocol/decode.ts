/**
 * Decoders from decoded msgpack values to gregor.1 records (docs/data-model.md, "Records";
 * docs/protocol.md, "Encoding").
 * Each takes the value and the field path used in error messages.
 */
import {
  readArray,
  readBool,
  readBytes,
  readBytesOrNull,
  readInt,
  readMap,
  readOptional,
  readString,
} from './fields.js';
import type {
  AuthResult,
  ConnectedDevice,
  ConnectedUser,
  DeviceID,
  Dismissal,
  InBandMessage,
  Item,
  ItemAndMetadata,
  Message,
  Metadata,
  MsgID,
  MsgRange,
  OutOfBandMessage,
  Reminder,
  ReminderID,
  ReminderSet,
  State,
  StateSyncMessage,
  StateUpdateMessage,
  SyncResult,
  TimeOrOffset,
  UID,
} from './records.js';

export function decodeUID(v: unknown, path: string): UID {
  return readBytes(v, path) as UID;
}

export function decodeMsgID(v: unknown, path: string): MsgID {
  return readBytes(v, path) as MsgID;
}

export function decodeDeviceID(v: unknown, path: string): DeviceID | null {
  const bytes = readBytesOrNull(v, path);
  // An empty device ID is the same as none ("global, for all devices").
  return bytes === null || bytes.length === 0 ? null : (bytes as DeviceID);
}

export function decodeTimeOrOffset(v: unknown, path: string): TimeOrOffset {
  const m = readMap(v, path);
  return { time: readInt(m.time, `${path}.time`), offset: readInt(m.offset, `${path}.offset`) };
}

export function decodeMetadata(v: unknown, path: string): Metadata {
  const m = readMap(v, path);
  return {
    uid: decodeUID(m.uid, `${path}.uid`),
    msgID: decodeMsgID(m.msgID, `${path}.msgID`),
    ctime: readInt(m.ctime, `${path}.ctime`),
    deviceID: decodeDeviceID(m.deviceID, `${path}.deviceID`),
    inBandMsgType: readInt(m.inBandMsgType, `${path}.inBandMsgType`),
  };
}

export function decodeItem(v: unknown, path: string): Item {
  const m = readMap(v, path);
  return {
    category: readString(m.category, `${path}.category`),
    dtime: decodeTimeOrOffset(m.dtime, `${path}.dtime`),
    remindTimes: readArray(m.remindTimes, `${path}.remindTimes`, decodeTimeOrOffset),
    body: readBytesOrNull(m.body, `${path}.body`),
  };
}

export function decodeMsgRange(v: unknown, path: string): MsgRange {
  const m = readMap(v, path);
  return {
    endTime: decodeTimeOrOffset(m.endTime, `${path}.endTime`),
    category: readString(m.category, `${path}.category`),
    skipMsgIDs: readArray(m.skipMsgIDs, `${path}.skipMsgIDs`, decodeMsgID),
  };
}

export function decodeDismissal(v: unknown, path: string): Dismissal {
  const m = readMap(v, path);
  return {
    msgIDs: readArray(m.msgIDs, `${path}.msgIDs`, decodeMsgID),
    ranges: readArray(m.ranges, `${path}.ranges`, decodeMsgRange),
  };
}

function withOptional<T extends object, K extends string, V>(
  record: T,
  key: K,
  value: V | undefined,
): T {
  if (value !== undefined) (record as Record<string, unknown>)[key] = value;
  return record;
}

export function decodeStateUpdateMessage(v: unknown, path: string): StateUpdateMessage {
  const m = readMap(v, path);
  const out: StateUpdateMessage = { md: decodeMetadata(m.md, `${path}.md`) };
  withOptional(out, 'creation', readOptional(m.creation, `${path}.creation`, decodeItem));
  return withOptional(
    out,
    'dismissal',
    readOptional(m.dismissal, `${path}.dismissal`, decodeDismissal),
  );
}

export function decodeStateSyncMessage(v: unknown, path: string): StateSyncMessage {
  const m = readMap(v, path);
  return { md: decodeMetadata(m.md, `${path}.md`) };
}

export function decodeInBandMessage(v: unknown, path: string): InBandMessage {
  const m = readMap(v, path);
  const out: InBandMessage = {};
  withOptional(
    out,
    'stateUpdate',
    readOptional(m.stateUpdate, `${path}.stateUpdate`, decodeStateUpdateMessage),
  );
  return withOptional(
    out,
    'stateSync',
    readOptional(m.stateSync, `${path}.stateSync`, decodeStateSyncMessage),
  );
}

export function decodeOutOfBandMessage(v: unknown, path: string): OutOfBandMessage {
  const m = readMap(v, path);
  return {
    uid: decodeUID(m.uid, `${path}.uid`),
    system: readString(m.system, `${path}.system`),
    body: readBytesOrNull(m.body, `${path}.body`),
  };
}

export function decodeMessage(v: unknown, path: string): Message {
  const m = readMap(v, path);
  const out: Message = {};
  withOptional(out, 'oobm', readOptional(m.oobm, `${path}.oobm`, decodeOutOfBandMessage));
  return withOptional(out, 'ibm', readOptional(m.ibm, `${path}.ibm`, decodeInBandMessage));
}

export function decodeItemAndMetadata(v: unknown, path: string): ItemAndMetadata {
  const m = readMap(v, path);
  const out: ItemAndMetadata = {};
  withOptional(out, 'md', readOptional(m.md, `${path}.md`, decodeMetadata));
  return withOptional(out, 'item', readOptional(m.item, `${path}.item`, decodeItem));
}

export function decodeState(v: unknown, path: string): State {
  const m = readMap(v, path);
  return { items: readArray(m.items, `${path}.items`, decodeItemAndMetadata) };
}

export function decodeReminder(v: unknown, path: string): Reminder {
  const m = readMap(v, path);
  return {
    item: decodeItemAndMetadata(m.item, `${path}.item`),
    seqno: readInt(m.seqno, `${path}.seqno`),
    remindTime: readInt(m.remindTime, `${path}.remindTime`),
  };
}

export function decodeReminderID(v: unknown, path: string): ReminderID {
  const m = readMap(v, path);
  return {
    uid: decodeUID(m.uid, `${path}.uid`),
    msgID: decodeMsgID(m.msgID, `${path}.msgID`),
    seqno: readInt(m.seqno, `${path}.seqno`),
  };
}

export function decodeReminderSet(v: unknown, path: string): ReminderSet {
  const m = readMap(v, path);
  return {
    reminders: readArray(m.reminders, `${path}.reminders`, decodeReminder),
    moreRemindersReady: readBool(m.moreRemindersReady, `${path}.moreRemindersReady`),
  };
}

export function decodeSyncResult(v: unknown, path: string): SyncResult {
  const m = readMap(v, path);
  return {
    msgs: readArray(m.msgs, `${path}.msgs`, decodeInBandMessage),
    hash: readBytes(m.hash, `${path}.hash`),
  };
}

export function decodeAuthResult(v: unknown, path: string): AuthResult {
  const m = readMap(v, path);
  return {
    uid: decodeUID(m.uid, `${path}.uid`),
    username: readString(m.username, `${path}.username`),
    sid: readString(m.sid, `${path}.sid`),
    isAdmin: readBool(m.isAdmin, `${path}.isAdmin`),
  };
}

export function decodeConnectedDevice(v: unknown, path: string): ConnectedDevice {
  const m = readMap(v, path);
  return {
    deviceID: decodeDeviceID(m.deviceID, `${path}.deviceID`),
    deviceType: readString(m.deviceType, `${path}.deviceType`),
    devicePlatform: readString(m.devicePlatform, `${path}.devicePlatform`),
    userAgent: readString(m.userAgent, `${path}.userAgent`),
  };
}

export function decodeConnectedUser(v: unknown, path: string): ConnectedUser {
  const m = readMap(v, path);
  return {
    uid: decodeUID(m.uid, `${path}.uid`),
    devices: readArray(m.devices, `${path}.devices`, decodeConnectedDevice),
  };
}
