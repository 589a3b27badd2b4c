/**
 * Per-user quotas: the rule every engine applies inside its consume, so it holds whatever engine
 * or instance runs the consume. A user's usage is its live items: created, not dismissed and not
 * expired as of the consume (exactly the items a State at "now" can show), counted once each, and
 * the bytes of their bodies. A creation that would take usage past the quota is refused with
 * GREGOR_ERR_QUOTA_EXCEEDED and nothing of its message is applied; a message without a creation
 * (a dismissal) is never refused, so a full user can always make room.
 */
import { gregorError } from '../errors.js';
import type { ConsumeLimits, Time, UID } from '../protocol/index.js';
import { toHex } from '../protocol/index.js';
import { type ItemRecord, isItemDismissedAt } from './item-rules.js';
import { RESULT_ENVELOPE_BYTES, STATE_ITEM_FIXED_WIRE_BYTES } from './result-budget.js';

/** How much one user may hold. */
export interface UserQuota {
  /** Most live (undismissed, unexpired) items. */
  readonly maxItems: number;
  /** Most bytes of item bodies over the live items. */
  readonly maxBytes: number;
}

/** Default most live items per user. */
export const DEFAULT_MAX_ITEMS_PER_USER = 10_000;
/** Default most body bytes per user, over its live items (8 MiB). */
export const DEFAULT_MAX_BYTES_PER_USER = 8 * 1024 * 1024;

/** What a user holds now. */
export interface QuotaUsage {
  items: number;
  bytes: number;
}

/** True when `item` counts toward its user's quota at `now`: neither dismissed nor expired. */
export function countsTowardQuota(
  item: Pick<ItemRecord, 'ctime' | 'dtime' | 'dismissed'>,
  now: Time,
): boolean {
  return !isItemDismissedAt(item, now);
}

/** The bytes an item counts for: its body. */
export function quotaBytesOf(item: Pick<ItemRecord, 'body'>): number {
  return item.body?.length ?? 0;
}

/**
 * Throw GREGOR_ERR_QUOTA_EXCEEDED unless one more item of `bodyBytes` fits in `quota` beside
 * `usage`. The message names the limit that was hit, never the body.
 */
export function assertCreationFits(
  uid: UID,
  usage: Readonly<QuotaUsage>,
  bodyBytes: number,
  quota: UserQuota,
): void {
  if (usage.items + 1 > quota.maxItems) {
    throw gregorError(
      'GREGOR_ERR_QUOTA_EXCEEDED',
      `quota exceeded: user ${toHex(uid)} already has ${usage.items} live items (most ${quota.maxItems}); dismiss some first`,
    );
  }
  if (usage.bytes + bodyBytes > quota.maxBytes) {
    throw gregorError(
      'GREGOR_ERR_QUOTA_EXCEEDED',
      `quota exceeded: user ${toHex(uid)} holds ${usage.bytes} body bytes, ${bodyBytes} more would pass ${quota.maxBytes}; dismiss some first`,
    );
  }
}

/**
 * The largest `state` answer a user at `quota` can have, in bytes: every item with the longest
 * IDs and category the consume limits allow, plus all the body bytes. A server whose frame is
 * smaller than this would let a user fill a state it can never read again.
 */
export function worstCaseStateBytes(
  quota: UserQuota,
  limits: Pick<ConsumeLimits, 'maxIDBytes' | 'maxCategoryBytes'>,
): number {
  const perItem = STATE_ITEM_FIXED_WIRE_BYTES + 3 * limits.maxIDBytes + limits.maxCategoryBytes;
  return RESULT_ENVELOPE_BYTES + quota.maxItems * perItem + quota.maxBytes;
}

/**
 * The quota to use with frames of `maxFrameBytes`: the given parts as they are, the missing ones
 * at their defaults, or smaller when the defaults would let a user fill a state no frame can carry
 * (the missing parts then share what is left of the frame). Null when the given parts alone do
 * not fit: a configuration conflict.
 */
export function quotaForFrame(
  given: Partial<UserQuota>,
  maxFrameBytes: number,
  limits: Pick<ConsumeLimits, 'maxIDBytes' | 'maxCategoryBytes'>,
): UserQuota | null {
  const defaults = {
    maxItems: given.maxItems ?? DEFAULT_MAX_ITEMS_PER_USER,
    maxBytes: given.maxBytes ?? DEFAULT_MAX_BYTES_PER_USER,
  };
  if (worstCaseStateBytes(defaults, limits) <= maxFrameBytes) return defaults;
  const perItem = worstCaseStateBytes({ maxItems: 1, maxBytes: 0 }, limits) - RESULT_ENVELOPE_BYTES;
  const room = maxFrameBytes - RESULT_ENVELOPE_BYTES;
  const { maxItems, maxBytes } = given;
  if (maxItems !== undefined && maxBytes !== undefined) return null;
  if (maxItems !== undefined) {
    const left = room - maxItems * perItem;
    return left >= 1 ? { maxItems, maxBytes: Math.min(left, DEFAULT_MAX_BYTES_PER_USER) } : null;
  }
  if (maxBytes !== undefined) {
    const items = Math.floor((room - maxBytes) / perItem);
    return items >= 1 ? { maxItems: Math.min(items, DEFAULT_MAX_ITEMS_PER_USER), maxBytes } : null;
  }
  const half = Math.floor(room / 2);
  const items = Math.floor(half / perItem);
  return items >= 1 && half >= 1 ? { maxItems: items, maxBytes: half } : null;
}
