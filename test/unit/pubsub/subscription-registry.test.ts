import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubscriptionRegistry } from '../../../packages/server/src/pubsub/subscription-registry.js';

const UID = Uint8Array.from([1, 2, 3]);

function registry(): { reg: SubscriptionRegistry; releases: Array<[string, boolean]> } {
  const releases: Array<[string, boolean]> = [];
  const reg = new SubscriptionRegistry(async (key, isLast) => {
    releases.push([key, isLast]);
  });
  return { reg, releases };
}

describe('SubscriptionRegistry', () => {
  it('reports the first subscriber of a key, and the last one leaving', async () => {
    const { reg, releases } = registry();
    const first = reg.add('k', UID, () => {});
    const second = reg.add('k', UID, () => {});
    assert.equal(first.isFirst, true);
    assert.equal(second.isFirst, false);
    assert.equal(reg.size, 1);
    await first.subscription.unsubscribe();
    await second.subscription.unsubscribe();
    assert.deepEqual(releases, [
      ['k', false],
      ['k', true],
    ]);
    assert.equal(reg.size, 0);
  });

  it('releases once however often a subscription is dropped', async () => {
    const { reg, releases } = registry();
    const { subscription } = reg.add('k', UID, () => {});
    const p1 = subscription.unsubscribe();
    const p2 = subscription.unsubscribe();
    assert.equal(p1, p2);
    await p1;
    assert.deepEqual(releases, [['k', true]]);
  });

  it('keeps a private copy of the uid', () => {
    const { reg } = registry();
    const uid = Uint8Array.from([9, 9]);
    const { subscription } = reg.add('k', uid, () => {});
    uid[0] = 0;
    assert.deepEqual([...subscription.uid], [9, 9]);
  });

  it('delivers to every subscriber of a key, reporting throws without stopping', () => {
    const { reg } = registry();
    const got: string[] = [];
    const errors: unknown[] = [];
    reg.add('k', UID, () => {
      throw new Error('boom');
    });
    reg.add('k', UID, (payload, uid) => got.push(`${payload.length}:${uid.length}`));
    reg.add('other', UID, () => got.push('other'));
    const count = reg.deliver('k', Uint8Array.from([7, 7]), (err) => errors.push(err));
    assert.equal(count, 2);
    assert.deepEqual(got, ['2:3']);
    assert.equal(errors.length, 1);
    assert.equal(
      reg.deliver('none', Uint8Array.from([1]), () => {}),
      0,
    );
  });

  it('lets a handler unsubscribe itself during delivery', async () => {
    const { reg } = registry();
    const got: string[] = [];
    const { subscription } = reg.add('k', UID, () => {
      got.push('a');
      void subscription.unsubscribe();
    });
    reg.add('k', UID, () => got.push('b'));
    reg.deliver('k', UID, () => {});
    reg.deliver('k', UID, () => {});
    assert.deepEqual(got, ['a', 'b', 'b']);
  });

  it('forgets everything on clear, after which unsubscribe releases nothing', async () => {
    const { reg, releases } = registry();
    const { subscription } = reg.add('k', UID, () => {});
    reg.clear();
    assert.deepEqual([...reg.keys()], []);
    await subscription.unsubscribe();
    assert.deepEqual(releases, []);
  });
});
