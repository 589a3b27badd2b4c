// Scale-out with real processes: three `gregord` child processes share one SQL database (a
// scratch PostgreSQL database, then a scratch MariaDB database) and the shared Redis. A message
// consumed on one instance reaches the user's devices on all three, in consume order, nothing
// missing and nothing twice; reminders polled on two instances at once are never handed out
// twice while locked; a Keybase-style sibling's consumePublishMessage is broadcast locally only.
// Runs sharing the Redis are kept apart by uids unique to the run (gregord has no channel-prefix
// option). Every process and database is removed in `after`, and an exit hook kills stragglers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Message,
  type ReminderID,
  stateHash,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/index.js';
import { REDIS_URL, serviceSkipReason } from '../helpers/services.js';
import { GregordProcess, stopAll } from './helpers/gregord-process.js';
import {
  createScratchDatabase,
  hex,
  labelOf,
  mockTokenOf,
  numberedCreation,
  numberedOOB,
  runUIDs,
  type ScratchDatabase,
  type SharedStore,
  SUPERUSER_TOKEN,
} from './helpers/scale-fixtures.js';
import { TestClient } from './helpers/test-client.js';

const INSTANCES = 3;
const USERS = 10;
const MESSAGES_PER_USER = 200;
const DELIVERY_WAIT_MS = 20_000;
const REDIS_SKIP = await serviceSkipReason('redis');
const SKIPS: Record<SharedStore, string | undefined> = {
  postgres: REDIS_SKIP ?? (await serviceSkipReason('postgres')),
  mysql: REDIS_SKIP ?? (await serviceSkipReason('mysql')),
};

/** Every fifth message is out-of-band (relayed, not stored); the rest are stored creations. */
function nthMessage(uid: UID, user: number, n: number): Message {
  return n % 5 === 0 ? numberedOOB(uid, n) : numberedCreation(uid, user, n);
}

function labels(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, k) =>
    (from + k) % 5 === 0 ? `o${from + k}` : `i${from + k}`,
  );
}

/** `state` at the server's now (the zero TimeOrOffset: time 0, offset 0). */
const NOW = { time: 0, offset: 0 };

const reminderKey = (r: ReminderID): string => `${toHex(r.msgID)}/${r.seqno}`;

for (const store of ['postgres', 'mysql'] as const) {
  describe(`three gregord processes sharing ${store} and Redis`, { skip: SKIPS[store] }, () => {
    let db: ScratchDatabase | undefined;
    let nodes: GregordProcess[] = [];
    const clients: TestClient[] = [];

    /** A TCP client on instance `i`, logged in with `token`. */
    async function device(i: number, token: string): Promise<TestClient> {
      const client = await TestClient.tcp(nodes[i]!.tcpPort);
      clients.push(client);
      await client.login(token);
      return client;
    }

    /** Instance `i`'s view of `uid`: the sync hash from time 0 and the stored item ids. */
    async function storedOn(i: number, su: TestClient[], uid: UID) {
      const sync = await su[i]!.call('sync', { uid, deviceid: null, ctime: 0 });
      const state = await su[i]!.call('state', { uid, deviceid: null, timeOrOffset: NOW });
      assert.equal(hex(stateHash(state)), hex(sync.hash), 'sync hash = hash of the state');
      return { hash: hex(sync.hash), ids: state.items.map((it) => toHex(it.md!.msgID)) };
    }

    before(async () => {
      db = await createScratchDatabase(store);
      nodes = await GregordProcess.startMany(
        INSTANCES,
        { storage: db.url, redisUrl: REDIS_URL, http: false },
        `${store}-`,
      );
    });
    after(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
      await stopAll(nodes);
      await db?.drop();
      for (const node of nodes) assert.equal(node.child.exitCode, 0, node.stderr);
    });

    it('delivers a message consumed on any instance to the device on every instance; a write made after seeing a message is behind it everywhere', async () => {
      const [uid] = runUIDs(1) as [UID];
      const devices = await Promise.all(
        nodes.map((_, i) => device(i, mockTokenOf(uid, `device-${i}`))),
      );
      const count = 30;
      for (let n = 1; n <= count; n++) {
        // The writer is the device on the next instance in turn, and it writes only once it has
        // seen the previous message, as a user acting on what a device shows. Its instance had
        // that message before the write, and Redis had it before the write's publication, so
        // every instance runs the two in that order (docs/scale-out.md "Order").
        const writer = devices[n % INSTANCES]!;
        await writer.waitForBroadcasts(n - 1, DELIVERY_WAIT_MS);
        await writer.call('consumeMessage', { m: nthMessage(uid, 0, n) });
      }
      for (const d of devices) {
        await d.waitForBroadcasts(count, DELIVERY_WAIT_MS);
        assert.deepEqual(d.received.map(labelOf), labels(1, count));
      }
    });

    it(`${USERS} users × ${INSTANCES} devices × ${MESSAGES_PER_USER} messages: nothing missing, nothing twice, one order everywhere`, async () => {
      const uids = runUIDs(USERS);
      const devices = await Promise.all(
        uids.map((uid) =>
          Promise.all(nodes.map((_, i) => device(i, mockTokenOf(uid, `device-${i}`)))),
        ),
      );
      // Each user writes through one device, on instance u % 3, so every instance is the
      // consuming one for some users and a receiving one for the others.
      await Promise.all(
        uids.map(async (uid, u) => {
          const sender = devices[u]![u % INSTANCES]!;
          for (let n = 1; n <= MESSAGES_PER_USER; n++) {
            await sender.call('consumeMessage', { m: nthMessage(uid, u, n) });
          }
          // A fence behind the run: once it is in, a duplicate of an earlier message would be too.
          await sender.call('consumeMessage', { m: numberedOOB(uid, 0) });
        }),
      );
      const expected = [...labels(1, MESSAGES_PER_USER), 'o0'];
      for (const [u, perUser] of devices.entries()) {
        for (const [i, d] of perUser.entries()) {
          await d.waitForBroadcasts(expected.length, DELIVERY_WAIT_MS);
          assert.deepEqual(d.received.map(labelOf), expected, `user ${u}, device on instance ${i}`);
        }
      }
      const su = await Promise.all(nodes.map((_, i) => device(i, SUPERUSER_TOKEN)));
      for (const [u, uid] of uids.entries()) {
        const views = await Promise.all(nodes.map((_, i) => storedOn(i, su, uid)));
        const stored = expected.filter((l) => l.startsWith('i')).length;
        assert.equal(views[0]!.ids.length, stored, `user ${u}: every creation stored once`);
        assert.equal(new Set(views[0]!.ids).size, stored);
        for (const view of views) assert.deepEqual(view, views[0], `user ${u}: one stored state`);
      }
    });

    it('two instances polling getReminders at once never hand out the same reminder while it is locked', async () => {
      const [uid] = runUIDs(1) as [UID];
      const [polling0, polling1] = await Promise.all([
        device(0, SUPERUSER_TOKEN),
        device(1, SUPERUSER_TOKEN),
      ]);
      const items = 60;
      const due = [{ time: Date.now() - 1000, offset: 0 }];
      for (let n = 1; n <= items; n++) {
        await polling0!.call('consumeMessage', { m: numberedCreation(uid, 0, n, due) });
      }
      const handedOut: string[][] = [[], []];
      await Promise.all(
        [polling0!, polling1!].map(async (poller, p) => {
          // Poll in small batches until a poll comes back empty: every due reminder is locked.
          for (let round = 0; round < items; round++) {
            const set = await poller.call('getReminders', { maxReminders: 4 });
            if (set.reminders.length === 0) return;
            handedOut[p]!.push(
              ...set.reminders.map((r) =>
                reminderKey({ uid: r.item.md!.uid, msgID: r.item.md!.msgID, seqno: r.seqno }),
              ),
            );
          }
        }),
      );
      const all = [...handedOut[0]!, ...handedOut[1]!];
      assert.equal(new Set(all).size, all.length, 'no reminder handed out twice');
      assert.equal(all.length, items, 'every due reminder handed out once');
      const again = await Promise.all(
        [polling0!, polling1!].map((c) => c.call('getReminders', { maxReminders: 100 })),
      );
      assert.deepEqual(
        again.map((s) => s.reminders.length),
        [0, 0],
        'still locked',
      );
    });

    it('a sibling’s consumePublishMessage (superuser RPC) reaches that instance’s devices only, and is not stored', async () => {
      const [uid] = runUIDs(1) as [UID];
      const devices = await Promise.all(
        nodes.map((_, i) => device(i, mockTokenOf(uid, `device-${i}`))),
      );
      // Keybase's gregord publishes to each sibling by RPC; here a sibling reaches instances 0 and 1.
      const siblings = await Promise.all([device(0, SUPERUSER_TOKEN), device(1, SUPERUSER_TOKEN)]);
      for (const sibling of siblings) {
        await sibling.call('consumePublishMessage', { m: numberedCreation(uid, 0, 1) });
        await sibling.call('consumePublishMessage', { m: numberedOOB(uid, 2) });
      }
      await devices[0]!.call('consumeMessage', { m: numberedOOB(uid, 0) });
      for (const [i, d] of devices.entries()) {
        await d.waitForBroadcasts(i === 2 ? 1 : 3, DELIVERY_WAIT_MS);
        assert.deepEqual(
          d.received.map(labelOf),
          i === 2 ? ['o0'] : ['i1', 'o2', 'o0'],
          `instance ${i}: broadcast where published, never relayed over the bus`,
        );
      }
      const state = await siblings[0]!.call('state', { uid, deviceid: null, timeOrOffset: NOW });
      assert.deepEqual(state.items, [], 'nothing stored');
      const notSuper = await device(2, mockTokenOf(uid, 'not-super'));
      await assert.rejects(notSuper.call('consumePublishMessage', { m: numberedOOB(uid, 3) }), {
        code: 'GREGOR_ERR_AUTH_MISMATCHED_UID',
      });
      await notSuper.session.closed();
    });
  });
}
