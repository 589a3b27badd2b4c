/**
 * gregor.1 records as TypeScript types (docs/data-model.md, "Records").
 *
 * Wire names are kept verbatim (`msgID`, `ctime`, `deviceID`). Byte fields are `Uint8Array`;
 * times are milliseconds since the Unix epoch, with 0 meaning "unset". Arrays are always
 * arrays after decoding (a nil array on the wire decodes to `[]`); nullable byte fields
 * (`deviceID`, `body`) are `null` when absent. `?` unions of the avdl are optional properties.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** User ID: 16 bytes in Keybase. */
export type UID = Brand<Uint8Array, 'UID'>;
/** Message ID: 16 random bytes in Keybase; the same ID names the message and the item it creates. */
export type MsgID = Brand<Uint8Array, 'MsgID'>;
/** Device ID; `null` means "global, for all devices". */
export type DeviceID = Brand<Uint8Array, 'DeviceID'>;
/** Milliseconds since the Unix epoch; 0 means unset. */
export type Time = number;
/** A duration in milliseconds. */
export type DurationMsec = number;
export type Category = string;
export type System = string;
export type SessionID = string;
export type SessionToken = string;

/** InBandMsgType constants. */
export const IN_BAND_MSG_TYPE = { none: 0, update: 1, sync: 2 } as const;
export type InBandMsgType = (typeof IN_BAND_MSG_TYPE)[keyof typeof IN_BAND_MSG_TYPE];

/** An absolute time or an offset; both zero means unset, and `time` wins when both are set. */
export interface TimeOrOffset {
  time: Time;
  offset: DurationMsec;
}

export interface Metadata {
  uid: UID;
  msgID: MsgID;
  ctime: Time;
  deviceID: DeviceID | null;
  inBandMsgType: number;
}

export interface Item {
  category: Category;
  dtime: TimeOrOffset;
  remindTimes: TimeOrOffset[];
  body: Uint8Array | null;
}

export interface ItemAndMetadata {
  md?: Metadata;
  item?: Item;
}

export interface MsgRange {
  endTime: TimeOrOffset;
  category: Category;
  skipMsgIDs: MsgID[];
}

export interface Dismissal {
  msgIDs: MsgID[];
  ranges: MsgRange[];
}

export interface StateUpdateMessage {
  md: Metadata;
  creation?: Item;
  dismissal?: Dismissal;
}

export interface StateSyncMessage {
  md: Metadata;
}

export interface InBandMessage {
  stateUpdate?: StateUpdateMessage;
  stateSync?: StateSyncMessage;
}

export interface OutOfBandMessage {
  uid: UID;
  system: System;
  body: Uint8Array | null;
}

export interface Message {
  oobm?: OutOfBandMessage;
  ibm?: InBandMessage;
}

export interface State {
  items: ItemAndMetadata[];
}

export interface Reminder {
  item: ItemAndMetadata;
  seqno: number;
  remindTime: Time;
}

export interface ReminderID {
  uid: UID;
  msgID: MsgID;
  seqno: number;
}

export interface ReminderSet {
  reminders: Reminder[];
  moreRemindersReady: boolean;
}

export interface SyncResult {
  msgs: InBandMessage[];
  hash: Uint8Array;
}

export interface AuthResult {
  uid: UID;
  username: string;
  sid: SessionID;
  isAdmin: boolean;
}

export interface ConnectedDevice {
  deviceID: DeviceID | null;
  deviceType: string;
  devicePlatform: string;
  userAgent: string;
}

export interface ConnectedUser {
  uid: UID;
  devices: ConnectedDevice[];
}

/** keybase1.Status, the error record on the wire. */
export interface StatusRecord {
  code: number;
  desc: string;
  name: string;
  fields: { key: string; value: string }[];
}

/** The superuser: 15 bytes 0xff then one 0x00. May act for any UID and call `remind`. */
export const SUPER_UID: UID = Uint8Array.from([...new Array<number>(15).fill(0xff), 0x00]) as UID;

/**
 * The reserved out-of-band system with which gregord tells a client to sync at once: sent to every
 * local connection after the pub/sub bus lost messages (docs/protocol.md "Resync").
 */
export const RESYNC_SYSTEM: System = 'gregor.resync';
