// The HTTP API's contract (docs/server-api.md) on every storage engine: each endpoint through a
// running GregorServer with a device connected over gregor.1, so that what a backend does over
// HTTP is checked against what the device sees and what the gregor.1 methods answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../packages/client/src/protocol/index.js';
import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../packages/client/src/state/index.js';
import type { DialectName } from '../../packages/server/src/storage/index.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_SKIPS,
  type StoragePlace,
} from '../unit/storage/storage-places.js';
import { API_KEY, ApiClient } from './helpers/api-client.js';
import { type Harness, startServer, T0, U1, U2 } from './helpers/test-server.js';

const uid1 = toHex(U1);
const uid2 = toHex(U2);
const ITEM_ID = 'a1'.repeat(16);

type EngineName = 'memory' | DialectName;

interface EngineUnderTest {
  open(clock: ManualClock): Promise<StateMachine>;
  close(): Promise<void>;
}

async function engineFor(name: EngineName): Promise<EngineUnderTest> {
  if (name === 'memory') {
    return { open: async (clock) => new MemoryEngine({ clock }), close: async () => {} };
  }
  const place: StoragePlace = await openStoragePlace(name, 'gregor_api');
  return {
    open: async (clock) => {
      const engine = await openEngineOn(place, { clock });
      await engine.clear();
      return engine;
    },
    close: () => place.drop(),
  };
}

const ENGINES: readonly EngineName[] = ['memory', 'sqlite', 'postgres', 'mysql'];

for (const name of ENGINES) {
  const skip = name === 'memory' ? undefined : STORAGE_SKIPS[name];
  describe(`the HTTP API on ${name}`, { skip }, () => {
    let target: EngineUnderTest;
    let h: Harness;
    let clock: ManualClock;
    let engine: StateMachine;
    let api: ApiClient;

    before(async () => {
      target = await engineFor(name);
    });
    after(async () => {
      await target?.close();
    });

    async function start(): Promise<void> {
      clock = new ManualClock(T0);
      engine = await target.open(clock);
      h = await startServer({ stateMachine: engine, http: { api: { keys: [API_KEY] } } });
      api = new ApiClient(h.addresses.http!.port);
    }

    async function stop(): Promise<void> {
      await h.close();
      await engine.close();
    }

    it('creates an item: 201, stored, broadcast to the device, the same state and hash as gregor.1', async () => {
      await start();
      try {
        const device = await h.user(U1);
        const created = await api.post(`/users/${uid1}/items`, {
          category: 'inbox.mention',
          body: 'hello',
          id: ITEM_ID,
          expireAt: T0 + 60_000,
        });
        assert.equal(created.status, 201);
        assert.deepEqual(created.body, { id: ITEM_ID, ctime: T0 });

        const [broadcast] = await device.waitForBroadcasts(1);
        const update = broadcast!.ibm?.stateUpdate;
        assert.equal(toHex(update!.md.msgID), ITEM_ID);
        assert.equal(new TextDecoder().decode(update!.creation!.body!), 'hello');

        const items = await api.get(`/users/${uid1}/items`);
        assert.equal(items.status, 200);
        assert.deepEqual(items.body.items, [
          {
            id: ITEM_ID,
            category: 'inbox.mention',
            body: 'hello',
            ctime: T0,
            expireAt: T0 + 60_000,
            remindAt: [],
          },
        ]);
        const sync = await device.call('sync', { uid: U1, deviceid: null, ctime: 0 });
        assert.equal(items.body.hash, toHex(sync.hash));
      } finally {
        await stop();
      }
    });

    it('answers a repeated id with 200 and the first ctime, and stores nothing new', async () => {
      await start();
      try {
        const first = await api.post(`/users/${uid1}/items`, {
          category: 'c',
          body: 'x',
          id: ITEM_ID,
        });
        clock.advance(5_000);
        const again = await api.post(`/users/${uid1}/items`, {
          category: 'c',
          body: 'y',
          id: ITEM_ID,
        });
        assert.equal(first.status, 201);
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, first.body);
        const items = await api.get(`/users/${uid1}/items`);
        assert.equal(items.body.items.length, 1);
        assert.equal(items.body.items[0].body, 'x');
      } finally {
        await stop();
      }
    });

    it('keeps bytes that are not UTF-8 as bodyBase64, and filters by category, prefix and time', async () => {
      await start();
      try {
        const bytes = Buffer.from([0xff, 0x00, 0xfe]).toString('base64');
        await api.post(`/users/${uid1}/items`, {
          category: 'a.bin',
          bodyBase64: bytes,
          id: ITEM_ID,
        });
        clock.advance(1_000);
        await api.post(`/users/${uid1}/items`, { category: 'b.text', body: 't' });
        const binary = await api.get(`/users/${uid1}/items?category=a.bin`);
        assert.deepEqual(
          binary.body.items.map((i: { bodyBase64?: string; body?: string }) => [
            i.bodyBase64,
            i.body,
          ]),
          [[bytes, undefined]],
        );
        const prefixed = await api.get(`/users/${uid1}/items?prefix=b.`);
        assert.deepEqual(
          prefixed.body.items.map((i: { category: string }) => i.category),
          ['b.text'],
        );
        const before = await api.get(`/users/${uid1}/items?at=${T0 + 500}`);
        assert.deepEqual(
          before.body.items.map((i: { category: string }) => i.category),
          ['a.bin'],
        );
        assert.equal(before.body.hash, prefixed.body.hash, 'the hash is of the whole state now');
      } finally {
        await stop();
      }
    });

    it('creates one item per user with POST /items', async () => {
      await start();
      try {
        const made = await api.post('/items', { uids: [uid1, uid2], category: 'news', body: 'n' });
        assert.equal(made.status, 201);
        const [a, b] = made.body.items;
        assert.deepEqual([a.uid, b.uid], [uid1, uid2]);
        assert.equal(a.id, b.id);
        for (const uid of [uid1, uid2]) {
          const items = await api.get(`/users/${uid}/items`);
          assert.deepEqual(
            items.body.items.map((i: { id: string }) => i.id),
            [a.id],
          );
        }
      } finally {
        await stop();
      }
    });

    it('dismisses by id (DELETE) and by category range with exceptions, and the device sees both', async () => {
      await start();
      try {
        const device = await h.user(U1);
        const ids = ['01', '02', '03'].map((n) => n.repeat(16));
        for (const id of ids)
          await api.post(`/users/${uid1}/items`, { category: 'c', body: id, id });
        const deleted = await api.delete(`/users/${uid1}/items/${ids[0]}`);
        assert.equal(deleted.status, 200);
        assert.match(deleted.body.id, /^[0-9a-f]{32}$/);
        const ranged = await api.post(`/users/${uid1}/dismissals`, {
          ranges: [{ category: 'c', except: [ids[2]] }],
        });
        assert.equal(ranged.status, 200);
        const left = await api.get(`/users/${uid1}/items`);
        assert.deepEqual(
          left.body.items.map((i: { id: string }) => i.id),
          [ids[2]],
        );
        const seen = await device.waitForBroadcasts(5);
        assert.deepEqual(
          seen.slice(3).map((m) => m.ibm?.stateUpdate?.dismissal !== undefined),
          [true, true],
        );
        const sync = await api.get(`/users/${uid1}/sync?since=0`);
        assert.equal(sync.status, 200);
        // The log since 0 as sync's rules choose it: the live item's creation and the range
        // (the dismissed items' creations, and the dismissal of an item already gone, are left out).
        assert.deepEqual(sync.body.messages, [
          {
            id: ids[2],
            ctime: T0,
            kind: 'update',
            creation: { category: 'c', body: ids[2], remindAt: [] },
          },
          {
            id: ranged.body.id,
            ctime: T0,
            kind: 'update',
            dismissal: { ids: [], ranges: [{ category: 'c', before: T0, except: [ids[2]] }] },
          },
        ]);
        assert.equal(sync.body.hash, left.body.hash);
      } finally {
        await stop();
      }
    });

    it('relays an out-of-band message (202) to connected devices without storing it', async () => {
      await start();
      try {
        const device = await h.user(U1);
        const relayed = await api.post(`/users/${uid1}/oob`, { system: 'typing', body: 'on' });
        assert.equal(relayed.status, 202);
        const [m] = await device.waitForBroadcasts(1);
        assert.equal(m!.oobm?.system, 'typing');
        const sync = await api.get(`/users/${uid1}/sync?since=0`);
        assert.deepEqual(sync.body.messages, []);
      } finally {
        await stop();
      }
    });

    it('lists connected devices (presence), and claims then acknowledges due reminders', async () => {
      await start();
      try {
        await h.user(U1);
        const presence = await api.get(`/presence?uid=${uid1}&uid=${uid2}`);
        assert.equal(presence.status, 200);
        assert.deepEqual(
          presence.body.users.map((u: { uid: string; devices: unknown[] }) => [
            u.uid,
            u.devices.length,
          ]),
          [[uid1, 1]],
        );
        await api.post(`/users/${uid1}/items`, {
          category: 'r',
          body: 'remind me',
          id: ITEM_ID,
          remindAt: [T0 + 1_000],
        });
        assert.deepEqual((await api.post('/reminders/claim', {})).body.reminders, []);
        clock.advance(2_000);
        const claimed = await api.post('/reminders/claim', { max: 10 });
        assert.equal(claimed.status, 200);
        assert.equal(claimed.body.reminders.length, 1);
        const [r] = claimed.body.reminders;
        assert.deepEqual(
          [r.uid, r.id, r.remindAt, r.item.body],
          [uid1, ITEM_ID, T0 + 1_000, 'remind me'],
        );
        const acked = await api.post('/reminders/ack', {
          reminders: [{ uid: r.uid, id: r.id, seqno: r.seqno }],
        });
        assert.deepEqual([acked.status, acked.body], [200, { deleted: 1 }]);
        clock.advance(3_600_000);
        assert.deepEqual((await api.post('/reminders/claim', {})).body.reminders, []);
      } finally {
        await stop();
      }
    });
  });
}
