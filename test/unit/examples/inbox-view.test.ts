// The inbox example's view rules (examples/inbox/inbox-view.ts): which items are snoozed, how the
// inbox is grouped and counted, when the page must wake up, and what "dismiss all" sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dismissAllRange,
  type InboxItem,
  inboxView,
  snoozedUntil,
} from '../../../examples/inbox/inbox-view.js';

const NOW = 1_800_000_000_000;

function item(
  id: string,
  category: string,
  ctime: number,
  remindAt: number[] = [],
  expireAt?: number,
): InboxItem {
  return {
    id,
    category,
    ctime: new Date(ctime),
    remindAt: remindAt.map((t) => new Date(t)),
    expireAt: expireAt === undefined ? undefined : new Date(expireAt),
  };
}

describe('inbox example view', () => {
  it('snoozes an item until its first remind time, and no longer', () => {
    const later = item('a', 'c', NOW - 10, [NOW + 5000, NOW + 9000]);
    assert.equal(snoozedUntil(later, NOW), NOW + 5000);
    assert.equal(snoozedUntil(later, NOW + 5000), undefined);
    assert.equal(
      snoozedUntil(later, NOW + 6000),
      undefined,
      'a second reminder does not re-snooze',
    );
    assert.equal(snoozedUntil(item('b', 'c', NOW - 10), NOW), undefined);
  });

  it('groups the inbox by category, newest first, and counts only what is not snoozed', () => {
    const items = [
      item('m1', 'mention', NOW - 300),
      item('f1', 'follow', NOW - 200),
      item('s1', 'mention', NOW - 150, [NOW + 60_000]),
      item('s2', 'follow', NOW - 120, [NOW + 30_000]),
      item('m2', 'mention', NOW - 100),
      item('r1', 'follow', NOW - 250, [NOW - 1]),
    ];
    const view = inboxView(items, NOW);
    assert.deepEqual(
      view.groups.map((g) => [g.category, g.items.map((i) => i.id)]),
      [
        ['mention', ['m2', 'm1']],
        ['follow', ['f1', 'r1']],
      ],
    );
    assert.deepEqual(
      view.snoozed.map((i) => i.id),
      ['s2', 's1'],
    );
    assert.equal(view.unread, 4);
    assert.equal(view.nextChangeMs, NOW + 30_000);
    assert.equal(inboxView(items, NOW + 30_000).unread, 5);
    assert.equal(inboxView(items, NOW + 30_000).nextChangeMs, NOW + 60_000);
    assert.equal(inboxView(items, NOW + 60_000).nextChangeMs, undefined);
  });

  it('wakes the page when an item expires too', () => {
    const items = [item('a', 'c', NOW - 10, [NOW + 9000]), item('b', 'c', NOW - 5, [], NOW + 4000)];
    assert.equal(inboxView(items, NOW).nextChangeMs, NOW + 4000);
    assert.equal(inboxView(items, NOW + 4000).nextChangeMs, NOW + 9000);
  });

  it('dismisses all up to the newest item shown, keeping the snoozed ones of the category', () => {
    const items = [
      item('m1', 'mention', NOW - 300),
      item('s1', 'mention', NOW - 250, [NOW + 60_000]),
      item('f1', 'follow', NOW - 220, [NOW + 60_000]),
      item('m2', 'mention', NOW - 200),
    ];
    const view = inboxView(items, NOW);
    const range = dismissAllRange(view.groups[0]!, view.snoozed);
    assert.deepEqual(range, { before: new Date(NOW - 200), except: ['s1'] });
  });
});
