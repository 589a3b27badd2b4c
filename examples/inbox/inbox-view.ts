/**
 * What the inbox page shows, computed from the live items and "now" alone, so that every tab
 * (and a test) derives the same view from the same items. No DOM here.
 *
 * Snoozing is client-side: gregord keeps an item's remind times but does not act on them (a
 * back-end service may pull due reminders). An item whose first remind time is still ahead is
 * *snoozed*: it sits in the snoozed section and does not count as unread. Once that time has come
 * it is back in the inbox, on every device at once, because every device reads the same
 * remindAt from the same item.
 */

/** The fields of a live item (gregor-client's GregorItem) that the view reads. */
export interface InboxItem {
  readonly id: string;
  readonly category: string;
  readonly ctime: Date;
  /** Oldest first. */
  readonly remindAt: readonly Date[];
  /** When it expires: the client stops listing it then, with no event. */
  readonly expireAt?: Date | undefined;
}

/** The items of one category in the inbox, newest first. */
export interface CategoryGroup<T extends InboxItem> {
  readonly category: string;
  readonly items: readonly T[];
}

/** The page's view of the items at one instant. */
export interface InboxView<T extends InboxItem> {
  /** The inbox, by category (categories in order of their newest item, newest first). */
  readonly groups: readonly CategoryGroup<T>[];
  /** The snoozed items, the one returning soonest first. */
  readonly snoozed: readonly T[];
  /** The unread badge: the items in the inbox (every live item that is not snoozed). */
  readonly unread: number;
  /**
   * When the view changes with no event (ms since the epoch): the next snoozed item returns, or
   * the next item expires. The page redraws then.
   */
  readonly nextChangeMs: number | undefined;
}

/** The time until which `item` is snoozed, or undefined when it is in the inbox at `nowMs`. */
export function snoozedUntil(item: InboxItem, nowMs: number): number | undefined {
  const first = item.remindAt[0]?.getTime();
  return first !== undefined && first > nowMs ? first : undefined;
}

/** Split the live `items` into the inbox and the snoozed section at `nowMs`. */
export function inboxView<T extends InboxItem>(items: readonly T[], nowMs: number): InboxView<T> {
  const byCategory = new Map<string, T[]>();
  const snoozed: { item: T; until: number }[] = [];
  for (const item of items) {
    const until = snoozedUntil(item, nowMs);
    if (until !== undefined) {
      snoozed.push({ item, until });
      continue;
    }
    const group = byCategory.get(item.category) ?? [];
    group.push(item);
    byCategory.set(item.category, group);
  }
  const newestFirst = (a: T, b: T): number => b.ctime.getTime() - a.ctime.getTime();
  // Each group is sorted newest first, so its first item is its newest.
  const newest = (group: readonly T[]): number => group[0]!.ctime.getTime();
  const groups = [...byCategory]
    .map(([category, group]) => ({ category, items: group.sort(newestFirst) }))
    .sort((a, b) => newest(b.items) - newest(a.items) || a.category.localeCompare(b.category));
  snoozed.sort((a, b) => a.until - b.until);
  const changes = [
    ...snoozed.map((s) => s.until),
    ...items.flatMap((i) => (i.expireAt === undefined ? [] : [i.expireAt.getTime()])),
  ].filter((t) => t > nowMs);
  return {
    groups,
    snoozed: snoozed.map((s) => s.item),
    unread: groups.reduce((n, g) => n + g.items.length, 0),
    nextChangeMs: changes.length === 0 ? undefined : Math.min(...changes),
  };
}

/**
 * What "dismiss all" in `group` sends: the category's items created up to the newest one shown
 * (`before`), so an item that arrived after the page last drew is not dismissed unseen, and not
 * the category's snoozed items (`except`).
 */
export function dismissAllRange<T extends InboxItem>(
  group: CategoryGroup<T>,
  snoozed: readonly T[],
): { before: Date; except: string[] } {
  const newest = Math.max(...group.items.map((i) => i.ctime.getTime()));
  return {
    before: new Date(newest),
    except: snoozed.filter((i) => i.category === group.category).map((i) => i.id),
  };
}
