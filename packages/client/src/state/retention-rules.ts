/**
 * What retention may delete, as pure functions (docs/data-model.md, "Retention"). Every engine
 * applies the same rule; the SQL engine spells it as a WHERE clause (retention-queries.ts) and the
 * conformance suite checks that both agree.
 *
 * The rule, at horizon H (now minus the retention): a logged message goes when its logged ctime
 * is before H and it created no item, or its item was dead at H (dismissed, or expired at or
 * before H). An item goes with its creation message, never alone and never before it: an item row
 * always has its creation in the log, which is what makes a repeated msgID a duplicate. So a live
 * item (undismissed, unexpired) stays, whatever its age, with its creation message; and no state
 * at a time at or after H changes.
 */
import type { Time } from '../protocol/index.js';
import { type ItemRecord, isItemDismissedAt } from './item-rules.js';

/** A logged message as retention sees it: its logged ctime and the item it created, if any. */
export interface LoggedRow {
  readonly ctime: Time;
  readonly item: Pick<ItemRecord, 'ctime' | 'dtime' | 'dismissed'> | null;
}

/** True when the logged message `row` (and its item, if any) may be deleted at horizon `horizon`. */
export function isPastHorizon(row: LoggedRow, horizon: Time): boolean {
  return row.ctime < horizon && (row.item === null || isItemDismissedAt(row.item, horizon));
}

/** A log row a batch may delete: its user (hex, which sorts as the bytes do) and whether it created an item. */
export interface PruneCandidate {
  readonly user: string;
  readonly hasItem: boolean;
}

/** What one batch deletes, and how far its users are done. */
export interface PrunePlan<C extends PruneCandidate> {
  /** The candidates to delete: a prefix of those given. */
  readonly take: C[];
  /** Items plus messages the batch deletes (reminders come on top, with their items). */
  readonly rows: number;
  /** Index in `users` of the last user with nothing left past the horizon, or -1. */
  readonly lastDone: number;
}

/**
 * Plan one batch over `users` (ascending), given the candidates found among them (ordered by
 * user), at most `maxRows` items plus messages. `listCut` says the candidate list was cut by a
 * LIMIT, so its last user may have more. A user is done when every candidate of it is taken and
 * its list was complete; the cursor moves past done users only, so a user cut in the middle is
 * read again by the next batch, which finds only what is left. Every batch makes progress: it
 * takes a row (the first always, even a creation past a `maxRows` of 1), or moves past a user.
 */
export function planPruneBatch<C extends PruneCandidate>(
  users: readonly string[],
  candidates: readonly C[],
  listCut: boolean,
  maxRows: number,
): PrunePlan<C> {
  let rows = 0;
  let taken = 0;
  for (const c of candidates) {
    // A creation deletes its item too. The first row is always taken, so a batch never stalls.
    const cost = c.hasItem ? 2 : 1;
    if (taken > 0 && rows + cost > maxRows) break;
    rows += cost;
    taken++;
  }
  let firstOpen: string | undefined;
  if (taken < candidates.length) firstOpen = candidates[taken]?.user;
  else if (listCut) firstOpen = candidates.at(-1)?.user;
  let lastDone = users.length - 1;
  if (firstOpen !== undefined) {
    lastDone = -1;
    while (lastDone + 1 < users.length && (users[lastDone + 1] as string) < firstOpen) lastDone++;
  }
  return { take: candidates.slice(0, taken), rows, lastDone };
}

/** Users one batch looks at: the candidates of this many users are read with one statement. */
export const USERS_PER_BATCH = 50;

/** The smallest `maxRows`: a creation and its item. */
export const MIN_BATCH_ROWS = 2;
