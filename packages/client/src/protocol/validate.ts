/**
 * validateConsumeMessage (docs/protocol.md, "Login and authorization") plus the size limits a
 * server needs.
 * Every error text starts with "invalid consume call: ", as gregord's do.
 */
import { type ErrorCode, gregorError } from '../errors.js';
import type { Message, MsgID, TimeOrOffset, UID } from './records.js';

/** Limits on what one consumed message may carry; each is configurable in gregord. */
export interface ConsumeLimits {
  /** Largest item or out-of-band body, in bytes. @default 65536 */
  maxBodyBytes: number;
  /** Longest category or system name, in bytes of UTF-8. @default 128 (the SQL column width) */
  maxCategoryBytes: number;
  /** Longest uid, msgID or deviceID, in bytes. @default 64 */
  maxIDBytes: number;
  /** Most msgIDs in one dismissal, and most skipMsgIDs in one range. @default 1000 */
  maxDismissalIDs: number;
  /** Most ranges in one dismissal. @default 100 */
  maxRanges: number;
  /** Most reminder times on one item. @default 100 */
  maxRemindTimes: number;
}

export const DEFAULT_CONSUME_LIMITS: Readonly<ConsumeLimits> = Object.freeze({
  maxBodyBytes: 64 * 1024,
  maxCategoryBytes: 128,
  maxIDBytes: 64,
  maxDismissalIDs: 1000,
  maxRanges: 100,
  maxRemindTimes: 100,
});

const PREFIX = 'invalid consume call: ';
const utf8 = new TextEncoder();

function reject(what: string, code: ErrorCode = 'GREGOR_ERR_INPUT_INVALID'): never {
  throw gregorError(code, PREFIX + what);
}

function limit(actual: number, max: number, what: string): void {
  if (actual > max)
    reject(`${what} is ${actual}, more than the limit of ${max}`, 'GREGOR_ERR_INPUT_TOO_LARGE');
}

function checkID(id: Uint8Array | null, what: string, limits: ConsumeLimits): void {
  if (id !== null) limit(id.length, limits.maxIDBytes, `${what} length`);
}

function checkIDs(ids: readonly MsgID[], what: string, limits: ConsumeLimits): void {
  limit(ids.length, limits.maxDismissalIDs, `number of ${what}`);
  for (const id of ids) checkID(id, what, limits);
}

function checkTime(t: TimeOrOffset, what: string): void {
  if (t.time < 0) reject(`${what}.time is negative`);
}

/**
 * Throw an InputError when `m` may not be consumed. Follows Keybase's gregord, with a looser
 * dismissal rule: a dismissal is rejected only when both its msgIDs and its ranges are empty.
 */
export function validateConsumeMessage(
  m: Message,
  limits: ConsumeLimits = DEFAULT_CONSUME_LIMITS,
): void {
  if (m.ibm === undefined && m.oobm === undefined) reject('unknown message type');
  if (m.ibm !== undefined && m.oobm !== undefined) reject('message carries both ibm and oobm');
  if (m.oobm !== undefined) {
    const { uid, system, body } = m.oobm;
    if (uid.length === 0) reject('missing UID');
    if (system === '') reject('missing system');
    if (body === null) reject('missing body');
    checkID(uid, 'uid', limits);
    limit(utf8.encode(system).length, limits.maxCategoryBytes, 'system length');
    limit(body.length, limits.maxBodyBytes, 'body size');
    return;
  }
  const ibm = m.ibm!;
  const su = ibm.stateUpdate;
  const md = su?.md ?? ibm.stateSync?.md;
  if (md === undefined) reject('unknown message type');
  if (md.msgID.length === 0) reject('missing msg ID');
  if (md.uid.length === 0) reject('missing UID');
  checkID(md.uid, 'uid', limits);
  checkID(md.msgID, 'msgID', limits);
  checkID(md.deviceID, 'deviceID', limits);
  if (md.ctime < 0) reject('md.ctime is negative');
  if (su === undefined) return; // §6.3: stateSync messages are not validated further.
  const { creation, dismissal } = su;
  if (creation === undefined && dismissal === undefined)
    reject('unknown state update message type');
  if (creation !== undefined) {
    if (creation.category === '') reject('missing category');
    if (creation.body === null) reject('missing body');
    limit(utf8.encode(creation.category).length, limits.maxCategoryBytes, 'category length');
    limit(creation.body.length, limits.maxBodyBytes, 'body size');
    limit(creation.remindTimes.length, limits.maxRemindTimes, 'number of remindTimes');
    checkTime(creation.dtime, 'dtime');
    for (const t of creation.remindTimes) checkTime(t, 'remindTimes');
  }
  if (dismissal !== undefined) {
    if (dismissal.msgIDs.length === 0 && dismissal.ranges.length === 0) {
      reject('missing msg IDs or ranges to dismiss');
    }
    checkIDs(dismissal.msgIDs, 'msgIDs', limits);
    limit(dismissal.ranges.length, limits.maxRanges, 'number of ranges');
    for (const range of dismissal.ranges) {
      if (range.category === '') reject('missing category in range');
      limit(utf8.encode(range.category).length, limits.maxCategoryBytes, 'range category length');
      checkIDs(range.skipMsgIDs, 'skipMsgIDs', limits);
      checkTime(range.endTime, 'endTime');
    }
  }
}

/** The uid a message is for: the in-band metadata uid, else the out-of-band uid (UIDFromMessage). */
export function messageUID(m: Message): UID | null {
  const md = m.ibm?.stateUpdate?.md ?? m.ibm?.stateSync?.md;
  const uid = md?.uid ?? m.oobm?.uid ?? null;
  return uid !== null && uid.length > 0 ? uid : null;
}
