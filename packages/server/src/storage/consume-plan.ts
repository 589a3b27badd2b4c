/**
 * Plans a batch of consumes (docs/data-model.md, "Consuming an in-band message", as the memory
 * engine applies it) so that a whole group commit costs a few set-based statements instead of
 * several round trips per message.
 *
 * `planReads` says which rows the batch can touch; `planBatch` replays the messages in call order
 * over those rows, using the shared rules of src/state, and returns the rows to write plus the
 * answer of each consume. The rows read are complete for the batch: every logged msgID of the
 * batch, every not-yet-dismissed item a dismissal names, and every not-yet-dismissed item of a
 * ranged category up to the latest cutoff in the batch. Items created earlier in the same batch
 * are in the overlay too, so messages of one user see each other in order.
 */
import { gregorError } from 'gregor-client/errors';
import {
  decodeInBandMessage,
  decodeMsgpack,
  encodeRecord,
  type InBandMessage,
  type MsgID,
  type Time,
  toHex,
  type UID,
} from 'gregor-client/protocol/internal';
import {
  assertCreationFits,
  type Consumable,
  countsTowardQuota,
  creationCTime,
  dismissalTime,
  type ItemRecord,
  type QuotaUsage,
  quotaBytesOf,
  type ReminderSlot,
  reminderSlots,
  resolveRangeEndTime,
  type UserQuota,
} from 'gregor-client/state/internal';
import { BatchOverlay, keyOf, type OverlayItem } from './batch-overlay.js';
import type { Outcome } from './group-commit.js';
import { expireAtOf } from './item-rows.js';

/** An in-band message, classified by `classifyMessage`. */
export type InBandConsumable = Exclude<Consumable, { kind: 'oobm' }>;

/** One consume in a batch: the message, the engine's time when it was called, its user's quota. */
export interface ConsumeJob {
  readonly message: InBandConsumable;
  readonly now: Time;
  readonly quota?: UserQuota | undefined;
}

/** A (uid, msgID) key of an item or a logged message. */
export interface RowKey {
  readonly uid: UID;
  readonly msgID: MsgID;
}

/** Rows a batch reads before planning. */
export interface PlanReads {
  /** The batch's own msgIDs: are they logged already? */
  readonly logKeys: RowKey[];
  /** Items dismissed by ID (only undismissed ones matter). */
  readonly itemKeys: RowKey[];
  /** Undismissed items of `category` with ctime ≤ `cutoff`, for range dismissals. */
  readonly ranges: { uid: UID; category: string; cutoff: Time }[];
  /** Users whose quota a creation must be checked against, and the time their usage is counted at. */
  readonly usage: { readonly uids: UID[]; readonly at: Time };
}

/** What the reads found: logged msgIDs with their canonical bytes, and candidate items. */
export interface PlanSnapshot {
  readonly logged: { key: RowKey; body: Uint8Array }[];
  readonly items: ItemRecord[];
  /** The usage of every user `PlanReads.usage` names (quota-rules.ts), counted at `at`. */
  readonly usage: { readonly at: Time; readonly users: { uid: UID; usage: QuotaUsage }[] };
}

/** A message to append to the log. */
export interface LogRow extends RowKey {
  readonly ctime: Time;
  /** The stateUpdate's md.deviceID, which since filters on; null for stateSync (never filtered). */
  readonly deviceID: Uint8Array | null;
  /** The item the message created, as the batch leaves it (since hides it once dismissed). */
  readonly item: Pick<ItemRecord, 'dtime' | 'dismissed'> | null;
  readonly body: Uint8Array;
}

/** A reminder to schedule, with its item's expiry (`expire_at`): it is not due past it. */
export interface ReminderRow extends RowKey, ReminderSlot {
  readonly expireAt: Time;
}

/** The rows a batch writes. */
export interface PlanWrites {
  /** New items, already carrying their dismissal if the batch dismissed them too. */
  readonly newItems: ItemRecord[];
  /** Items that existed before the batch and are dismissed by it. */
  readonly dismissed: RowKey[];
  readonly reminders: ReminderRow[];
  readonly logRows: LogRow[];
}

/** A consume's logged message (the first one for a duplicate msgID), and whether it was one. */
export interface LoggedAnswer {
  readonly ibm: InBandMessage;
  readonly isDuplicate: boolean;
}

/**
 * The answer of one consume: its LoggedAnswer, or the quota error of a refused creation (which
 * then changed nothing).
 */
export type PlanAnswer = Outcome<LoggedAnswer>;

/** Which rows `jobs` may read or change. */
export function planReads(jobs: readonly ConsumeJob[]): PlanReads {
  const logKeys: RowKey[] = [];
  const itemKeys: RowKey[] = [];
  const cutoffs = new Map<string, { uid: UID; category: string; cutoff: Time }>();
  const usageUIDs = new Map<string, UID>();
  let at = 0;
  for (const { message, now, quota } of jobs) {
    const { md } = message;
    at = Math.max(at, now);
    logKeys.push({ uid: md.uid, msgID: md.msgID });
    if (quota !== undefined && message.kind === 'update' && message.update.creation !== undefined) {
      usageUIDs.set(toHex(md.uid), md.uid);
    }
    const dismissal = message.kind === 'update' ? message.update.dismissal : undefined;
    if (dismissal === undefined) continue;
    for (const msgID of dismissal.msgIDs) itemKeys.push({ uid: md.uid, msgID });
    const dt = dismissalTime(md, now);
    for (const range of dismissal.ranges) {
      const cutoff = resolveRangeEndTime(range.endTime, dt);
      const k = `${toHex(md.uid)}/${range.category}`;
      const seen = cutoffs.get(k);
      if (seen === undefined) cutoffs.set(k, { uid: md.uid, category: range.category, cutoff });
      else seen.cutoff = Math.max(seen.cutoff, cutoff);
    }
  }
  return {
    logKeys,
    itemKeys,
    ranges: [...cutoffs.values()],
    usage: { uids: [...usageUIDs.values()], at },
  };
}

/**
 * Decode a logged message's canonical bytes back into the record consume answers with. Bytes that
 * do not decode are a storage failure (GREGOR_ERR_STORAGE_FAILED), not the caller's bad input.
 */
export function decodeLogged(body: Uint8Array): InBandMessage {
  try {
    return decodeInBandMessage(decodeMsgpack(body), 'logged message');
  } catch (err) {
    throw gregorError('GREGOR_ERR_STORAGE_FAILED', 'storage: a logged message does not decode', {
      cause: err,
    });
  }
}

/**
 * The quota usage of the users a batch creates items for, kept up to date as the batch replays:
 * creations add, dismissals give back (quota-rules.ts). Users without a quota are not tracked.
 */
class UsageLedger {
  readonly #byUser = new Map<string, QuotaUsage>();
  readonly #at: Time;

  constructor({ at, users }: PlanSnapshot['usage']) {
    this.#at = at;
    for (const { uid, usage } of users) this.#byUser.set(toHex(uid), { ...usage });
  }

  /** Throw GREGOR_ERR_QUOTA_EXCEEDED when `record` would not fit its user's `quota`. */
  assertFits(record: ItemRecord, quota: UserQuota | undefined): void {
    const usage = this.#byUser.get(toHex(record.uid));
    if (quota === undefined || usage === undefined || !countsTowardQuota(record, this.#at)) return;
    assertCreationFits(record.uid, usage, quotaBytesOf(record), quota);
  }

  /** Count `record` in (`sign` 1) or out (-1) of its user's usage, if it counts at all. */
  count(record: ItemRecord, sign: 1 | -1): void {
    const usage = this.#byUser.get(toHex(record.uid));
    if (usage === undefined || !countsTowardQuota(record, this.#at)) return;
    usage.items += sign;
    usage.bytes += sign * quotaBytesOf(record);
  }
}

/** Replay `jobs` in order over `snapshot`; see the file header. */
export function planBatch(
  jobs: readonly ConsumeJob[],
  snapshot: PlanSnapshot,
): { writes: PlanWrites; answers: PlanAnswer[] } {
  const overlay = new BatchOverlay(snapshot.items);
  const ledger = new UsageLedger(snapshot.usage);
  const logged = new Map<string, Uint8Array>();
  for (const { key, body } of snapshot.logged) logged.set(keyOf(key.uid, key.msgID), body);
  const logs: { row: Omit<LogRow, 'item'>; item: OverlayItem | null }[] = [];
  const answers: PlanAnswer[] = [];
  for (const { message, now, quota } of jobs) {
    const { md } = message;
    const key = keyOf(md.uid, md.msgID);
    const first = logged.get(key);
    let msg: InBandMessage;
    let ctime = now;
    let item: OverlayItem | null = null;
    if (message.kind === 'update') {
      const { update } = message;
      // A logged msgID is idempotent: its creation is ignored, its dismissal still applied.
      const creation = first === undefined ? update.creation : undefined;
      ctime = creationCTime(md, now);
      if (creation !== undefined) {
        const record: ItemRecord = {
          uid: md.uid,
          msgID: md.msgID,
          deviceID: md.deviceID,
          ctime,
          category: creation.category,
          body: creation.body,
          dtime: creation.dtime,
          dismissed: false,
        };
        try {
          ledger.assertFits(record, quota);
        } catch (error) {
          // Refused whole: nothing of this message is applied or logged.
          answers.push({ ok: false, error });
          continue;
        }
        item = overlay.add(record, true, reminderSlots(ctime, creation.remindTimes));
        if (item.record === record) ledger.count(record, 1);
        ctime = item.record.ctime;
      }
      // The dismissal comes after the creation, so a message may dismiss its own item.
      if (update.dismissal !== undefined) {
        const hit = overlay.dismiss(md.uid, update.dismissal, dismissalTime(md, now));
        for (const record of hit) ledger.count(record, -1);
      }
      // The logged ctime is stamped into md, as gregord's SetCTime does and the memory engine logs it.
      msg = { stateUpdate: { ...update, md: { ...md, ctime } } };
    } else {
      msg = { stateSync: { md } };
    }
    if (first !== undefined) {
      answers.push({ ok: true, value: { ibm: decodeLogged(first), isDuplicate: true } });
      continue;
    }
    const body = encodeRecord(msg);
    logged.set(key, body);
    // `since` filters a stateUpdate by its md.deviceID, never a stateSync.
    const deviceID = message.kind === 'update' ? md.deviceID : null;
    logs.push({ row: { uid: md.uid, msgID: md.msgID, ctime, deviceID, body }, item });
    answers.push({ ok: true, value: { ibm: msg, isDuplicate: false } });
  }
  return { writes: collectWrites(overlay, logs), answers };
}

function collectWrites(
  overlay: BatchOverlay,
  logs: readonly { row: Omit<LogRow, 'item'>; item: OverlayItem | null }[],
): PlanWrites {
  const newItems = overlay.newItems();
  const reminders: ReminderRow[] = [];
  for (const { record, slots } of newItems) {
    // A dismissed item never reminds again (isReminderDue), so its reminders are not stored.
    if (record.dismissed) continue;
    const { uid, msgID } = record;
    const expireAt = expireAtOf(record);
    for (const { seqno, rtime } of slots) reminders.push({ uid, msgID, seqno, rtime, expireAt });
  }
  return {
    newItems: newItems.map((i) => i.record),
    dismissed: overlay.dismissedExisting.map(({ uid, msgID }) => ({ uid, msgID })),
    reminders,
    // A log row carries its item as the batch leaves it: created and dismissed in it is dismissed.
    logRows: logs.map(({ row, item }) => ({ ...row, item: item?.record ?? null })),
  };
}
