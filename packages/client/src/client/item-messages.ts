/**
 * The gregor.1 messages behind the high-level writes (docs/client.md, "Writing records"; the
 * Keybase service's InjectItem, DismissItem and UpdateCategory): one builder per kind, so that
 * `Gregor` never spells out a nested record. Every message gets a new random msgID unless the
 * caller names one, and `ctime` 0 so that the server stamps its own time. Browser-safe.
 */

import { gregorError } from '../errors.js';
import {
  type DeviceID,
  type Dismissal,
  IN_BAND_MSG_TYPE,
  type Item,
  type Message,
  type MsgID,
  type MsgRange,
  newId,
  parseDeviceId,
  parseMsgId,
  type TimeOrOffset,
  type UID,
} from '../protocol/index.js';
import { type BodyInput, encodeBody, toMs } from './item-view.js';

/** An ID as the high-level API takes it: 32 hex digits, or the branded bytes. */
export type IdInput = string | MsgID;

/** A new item (see `Gregor.create`). */
export interface NewItem {
  /** Its category (the application's kind of item: `"inbox.mention"`…). */
  category: string;
  /** Its body; see BodyInput. */
  body: BodyInput;
  /** When it expires, absolute. At most one of `expireAt` and `expireIn`. */
  expireAt?: Date | number;
  /** When it expires, ms after the server stores it. */
  expireIn?: number;
  /** When the server should remind the user's devices of it. */
  remindAt?: readonly (Date | number)[];
  /** The only device that sees it (hex or bytes); left out, every device of the user sees it. */
  device?: string | DeviceID;
  /** Its ID (hex or bytes); left out, a new random one. Naming it makes a retry idempotent. */
  id?: IdInput;
}

const UNSET: TimeOrOffset = { time: 0, offset: 0 };

function expiryOf(item: NewItem): TimeOrOffset {
  if (item.expireAt !== undefined && item.expireIn !== undefined) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'give expireAt or expireIn, not both');
  }
  if (item.expireAt !== undefined) return { time: toMs(item.expireAt, 'expireAt'), offset: 0 };
  if (item.expireIn !== undefined) {
    if (!Number.isSafeInteger(item.expireIn) || item.expireIn <= 0) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'expireIn must be a positive integer of ms');
    }
    return { time: 0, offset: item.expireIn };
  }
  return UNSET;
}

function creationOf(item: NewItem): Item {
  if (typeof item.category !== 'string' || item.category === '') {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'an item needs a non-empty category');
  }
  return {
    category: item.category,
    body: encodeBody(item.body),
    dtime: expiryOf(item),
    remindTimes: (item.remindAt ?? []).map((t) => ({ time: toMs(t, 'remindAt'), offset: 0 })),
  };
}

function stateUpdate(
  uid: UID,
  msgID: MsgID,
  deviceID: DeviceID | null,
  parts: { creation?: Item; dismissal?: Dismissal },
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID, ctime: 0, deviceID, inBandMsgType: IN_BAND_MSG_TYPE.update },
        ...parts,
      },
    },
  };
}

function deviceOf(item: NewItem): DeviceID | null {
  return item.device === undefined ? null : parseDeviceId(item.device);
}

/** The message that creates `item`. */
export function creationMessage(uid: UID, item: NewItem): Message {
  const msgID = item.id === undefined ? newId() : parseMsgId(item.id);
  return stateUpdate(uid, msgID, deviceOf(item), { creation: creationOf(item) });
}

/** The message that dismisses the items `ids`. */
export function dismissalMessage(uid: UID, ids: readonly IdInput[]): Message {
  if (ids.length === 0) throw gregorError('GREGOR_ERR_INPUT_INVALID', 'no item IDs to dismiss');
  return dismissalsMessage(uid, { ids });
}

/** Which items of a category a range dismissal takes (see `Gregor.dismissCategory`). */
export interface CategoryRange {
  /** Only items created at or before this time; left out, all created up to the dismissal. */
  before?: Date | number;
  /** Items to keep. */
  except?: readonly IdInput[];
}

/** A CategoryRange with its category: one range of a dismissal. */
export interface DismissRange extends CategoryRange {
  category: string;
}

function rangeOf(category: string, range: CategoryRange): MsgRange {
  if (typeof category !== 'string' || category === '') {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'a category dismissal needs a category');
  }
  return {
    category,
    // Unset: the server resolves it to the dismissal's own time (docs/data-model.md, "Time").
    endTime: range.before === undefined ? UNSET : { time: toMs(range.before, 'before'), offset: 0 },
    skipMsgIDs: (range.except ?? []).map(parseMsgId),
  };
}

/** The message that dismisses the items of `category` in `range`. */
export function categoryDismissalMessage(
  uid: UID,
  category: string,
  range: CategoryRange,
): Message {
  return dismissalsMessage(uid, { ranges: [{ ...range, category }] });
}

/**
 * One message that dismisses the items `ids` and the items in each of `ranges`, applied together
 * (the most general dismissal); at least one ID or range.
 */
export function dismissalsMessage(
  uid: UID,
  what: { ids?: readonly IdInput[]; ranges?: readonly DismissRange[] },
): Message {
  const msgIDs = (what.ids ?? []).map(parseMsgId);
  const ranges = (what.ranges ?? []).map((r) => rangeOf(r.category, r));
  if (msgIDs.length === 0 && ranges.length === 0) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'a dismissal needs item IDs or a category range');
  }
  return stateUpdate(uid, newId(), null, { dismissal: { msgIDs, ranges } });
}

/** The out-of-band message `body` to `system` for the user's connected devices (never stored). */
export function outOfBandMessage(uid: UID, system: string, body: BodyInput): Message {
  if (typeof system !== 'string' || system === '') {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'an out-of-band message needs a system');
  }
  return { oobm: { uid, system, body: encodeBody(body) } };
}

/**
 * The skip-list pattern (Keybase's UpdateCategory): one message that creates `item` in `category`
 * and dismisses every other item of the category. The server applies the creation first, then the
 * range, which skips the new item's ID.
 */
export function replaceMessage(
  uid: UID,
  category: string,
  item: Omit<NewItem, 'category'>,
): Message {
  const m = creationMessage(uid, { ...item, category });
  const update = m.ibm!.stateUpdate!;
  update.dismissal = {
    msgIDs: [],
    ranges: [rangeOf(category, { except: [update.md.msgID] })],
  };
  return m;
}
