/** Shared fixtures of the state rule tests (the short names the tests share). */
import type { DeviceID, MsgID, UID } from '../../../packages/client/src/protocol/index.js';
import type { ItemRecord } from '../../../packages/client/src/state/internal.js';

/** A base time with a non-zero millisecond part. */
export const T = 1_700_000_000_123;
export const bytes16 = (n: number): Uint8Array => new Uint8Array(16).fill(n);
export const U1 = bytes16(1) as UID;
export const U2 = bytes16(2) as UID;
export const D1 = bytes16(0x0d) as DeviceID;
export const D2 = bytes16(0x0e) as DeviceID;
/** M(n): a msgID of 16 bytes all equal to n. */
export const M = (n: number): MsgID => bytes16(n) as MsgID;
export const ZERO_TIME = { time: 0, offset: 0 };

/** An ItemRecord of U1/M1 in category "c" created at T, with `over` applied. */
export function itemRecord(over: Partial<ItemRecord> = {}): ItemRecord {
  return {
    uid: U1,
    msgID: M(1),
    deviceID: null,
    ctime: T,
    category: 'c',
    body: new Uint8Array([1]),
    dtime: ZERO_TIME,
    dismissed: false,
    ...over,
  };
}
