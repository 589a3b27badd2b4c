/**
 * What `gregor state` and `gregor watch` print about items, in JSON: ids in hex, bodies as text
 * (or `base64:…`), and every time as an absolute ISO 8601 instant, resolved the way the state
 * rules resolve them (an offset counts from the item's ctime), next to the raw records.
 */
import {
  type ItemAndMetadata,
  type Message,
  type MsgRange,
  type State,
  toHex,
} from 'gregor-client/protocol';
import { itemExpiry, reminderSlots, resolveTimeOrOffset } from 'gregor-client/state/internal';

/** ms since the epoch as ISO 8601 (UTC). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A body as text when it is UTF-8, otherwise `base64:<data>`. */
export function bodyText(body: Uint8Array | null): string | null {
  if (body === null) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return `base64:${Buffer.from(body).toString('base64')}`;
  }
}

/** An item's times as instants: created, expiring (when it does) and each reminder. */
export function itemTimes(
  ctime: number,
  item: Pick<NonNullable<ItemAndMetadata['item']>, 'dtime' | 'remindTimes'>,
): { ctime: string; expireAt?: string; remindAt: string[] } {
  const expiry = itemExpiry({ ctime, dtime: item.dtime });
  return {
    ctime: isoTime(ctime),
    ...(expiry === null ? {} : { expireAt: isoTime(expiry) }),
    remindAt: reminderSlots(ctime, item.remindTimes).map((slot) => isoTime(slot.rtime)),
  };
}

/** A state with each item's absolute times beside its record (`gregor state`). */
export function stateWithTimes(state: State): {
  items: (ItemAndMetadata & Partial<ReturnType<typeof itemTimes>>)[];
} {
  return {
    ...state,
    items: state.items.map((entry) =>
      entry.md === undefined || entry.item === undefined
        ? entry
        : { ...entry, ...itemTimes(entry.md.ctime, entry.item) },
    ),
  };
}

function rangeOf(range: MsgRange, dismissedAt: number): Record<string, unknown> {
  const end = resolveTimeOrOffset(range.endTime, dismissedAt) ?? dismissedAt;
  return {
    category: range.category,
    before: isoTime(end),
    except: range.skipMsgIDs.map((id) => toHex(id)),
  };
}

/** The `gregor watch` lines of one message: an item created, items dismissed, or out-of-band. */
export function messageEvents(m: Message): Record<string, unknown>[] {
  if (m.oobm !== undefined) {
    return [{ event: 'oob', system: m.oobm.system, body: bodyText(m.oobm.body) }];
  }
  const update = m.ibm?.stateUpdate;
  if (update === undefined) return [];
  const { md } = update;
  const events: Record<string, unknown>[] = [];
  if (update.creation !== undefined) {
    events.push({
      event: 'item',
      id: toHex(md.msgID),
      category: update.creation.category,
      body: bodyText(update.creation.body),
      ...itemTimes(md.ctime, update.creation),
      ...(md.deviceID === null ? {} : { deviceId: toHex(md.deviceID) }),
    });
  }
  const dismissal = update.dismissal;
  if (dismissal !== undefined && (dismissal.msgIDs.length > 0 || dismissal.ranges.length > 0)) {
    events.push({
      event: 'dismiss',
      ids: dismissal.msgIDs.map((id) => toHex(id)),
      ...(dismissal.ranges.length === 0
        ? {}
        : { ranges: dismissal.ranges.map((r) => rangeOf(r, md.ctime)) }),
      at: isoTime(md.ctime),
    });
  }
  return events;
}
