/**
 * Per-user quotas and read bounds through a real GregorServer and real sockets: a full user is
 * refused with GREGOR_ERR_QUOTA_EXCEEDED (nothing stored or broadcast) and can still read and
 * dismiss; a state past one frame is refused early and the connection stays; reads past the
 * per-connection and per-user bounds are refused as overloaded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeviceID, Message, MsgID, UID } from '../../packages/client/src/protocol/index.js';
import { MemoryEngine } from '../../packages/client/src/state/index.js';
import type { SqlEngine } from '../../packages/server/src/storage/index.js';
import {
  openEngineOn,
  openStoragePlace,
  type StoragePlace,
} from '../unit/storage/storage-places.js';
import { creation, dismissal, mid, startServer, U1, U2 } from './helpers/test-server.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A creation with the longest IDs and category the default consume limits allow. */
function widest(uid: UID, i: number, body: Uint8Array): Message {
  const msgID = new Uint8Array(64).fill(0xa0);
  msgID[62] = i >> 8;
  msgID[63] = i & 0xff;
  return {
    ibm: {
      stateUpdate: {
        md: {
          uid,
          msgID: msgID as MsgID,
          ctime: 0,
          deviceID: new Uint8Array(64).fill(0xd) as DeviceID,
          inBandMsgType: 1,
        },
        creation: {
          category: 'c'.repeat(128),
          body,
          dtime: { time: 0, offset: 0 },
          remindTimes: [],
        },
      },
    },
  };
}

const stateArg = (uid: UID) => ({ uid, deviceid: null, timeOrOffset: { time: 0, offset: 0 } });

describe('per-user quota', () => {
  it('refuses a creation past the item quota, stores and broadcasts nothing, and accepts a dismissal', async () => {
    const h = await startServer({ maxItemsPerUser: 3 });
    try {
      const sender = await h.user(U1);
      const watcher = await h.user(U1);
      for (const n of [1, 2, 3]) await sender.call('consumeMessage', { m: creation(U1, n) });
      await assert.rejects(sender.call('consumeMessage', { m: creation(U1, 4) }), {
        code: 'GREGOR_ERR_QUOTA_EXCEEDED',
      });
      const full = await sender.call('state', stateArg(U1));
      assert.equal(full.items.length, 3);
      await sender.call('consumeMessage', { m: dismissal(U1, 5, [mid(1)]) });
      await sender.call('consumeMessage', { m: creation(U1, 6) });
      // The watcher saw, in order, the three creations, the dismissal, the last creation: never M4.
      const seen = await watcher.waitForBroadcasts(5);
      const ids = seen.map((m) => m.ibm?.stateUpdate?.md.msgID[0]);
      assert.deepEqual(ids, [1, 2, 3, 5, 6]);
      // Another user is not affected.
      const other = await h.user(U2);
      await other.call('consumeMessage', { m: creation(U2, 1) });
    } finally {
      await h.close();
    }
  });

  it('lets a user filled to the quota with the widest items read its whole state in one frame', async () => {
    const rpcLimits = { maxFrameBytes: 256 * 1024, maxWriteBufferBytes: 1024 * 1024 };
    const h = await startServer({ rpcLimits, maxItemsPerUser: 100, maxBytesPerUser: 200_000 });
    try {
      const c = await h.user(U1);
      const bodies = [65_536, 65_536, 65_536, 3_392];
      for (let i = 0; i < 100; i++) {
        const body = new Uint8Array(bodies[i] ?? 0).fill(0x62);
        await c.call('consumeMessage', { m: widest(U1, i, body) });
      }
      await assert.rejects(c.call('consumeMessage', { m: widest(U1, 100, utf8('')) }), {
        code: 'GREGOR_ERR_QUOTA_EXCEEDED',
      });
      const state = await c.call('state', stateArg(U1));
      assert.equal(state.items.length, 100);
      const sync = await c.call('sync', { uid: U1, deviceid: null, ctime: 0 });
      assert.equal(sync.msgs.length, 100);
    } finally {
      await h.close();
    }
  });

  it('refuses at startup a given quota whose full state would not fit in a frame', async () => {
    await assert.rejects(
      startServer({
        rpcLimits: { maxFrameBytes: 256 * 1024, maxWriteBufferBytes: 1024 * 1024 },
        maxBytesPerUser: 512 * 1024,
      }),
      { code: 'GREGOR_ERR_CONFIG_INVALID', message: /maxBytesPerUser/ },
    );
  });
});

describe('read bounds', () => {
  it('refuses a state past one frame before building it, and keeps the connection', async () => {
    const engine = new MemoryEngine();
    // Stored without a quota (as before quotas existed): five bodies of 64 KiB.
    for (let n = 1; n <= 5; n++) {
      await engine.consumeMessage(creation(U1, n, 'cat', 'x'.repeat(65_536)));
    }
    const rpcLimits = { maxFrameBytes: 256 * 1024, maxWriteBufferBytes: 1024 * 1024 };
    const h = await startServer({ stateMachine: engine, rpcLimits });
    try {
      const c = await h.user(U1);
      await assert.rejects(c.call('state', stateArg(U1)), { code: 'GREGOR_ERR_RESULT_TOO_LARGE' });
      await assert.rejects(c.call('sync', { uid: U1, deviceid: null, ctime: 0 }), {
        code: 'GREGOR_ERR_RESULT_TOO_LARGE',
      });
      assert.equal(await c.call('ping', undefined as never), 'pong');
    } finally {
      await h.close();
      await engine.close();
    }
  });

  describe('on SQLite, with reads that take many turns of the event loop', () => {
    let place: StoragePlace;
    let engine: SqlEngine;
    before(async () => {
      place = await openStoragePlace('sqlite');
      engine = await openEngineOn(place);
      const seeds = Array.from({ length: 3000 }, (_, i) => {
        const msgID = new Uint8Array(16).fill(0xb0);
        msgID[14] = i >> 8;
        msgID[15] = i & 0xff;
        return engine.consumeMessage(creation(U1, msgID));
      });
      await Promise.all(seeds);
    });
    after(async () => {
      await engine.close();
      await place.drop();
    });

    it('refuses reads past the per-connection bound as overloaded, the others answer', async () => {
      const h = await startServer({ stateMachine: engine, maxReadsPerConnection: 2 });
      try {
        const c = await h.user(U1);
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map(() => c.call('state', stateArg(U1))),
        );
        const answered = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(answered.length, 2);
        for (const r of answered) assert.equal(r.value.items.length, 3000);
        for (const r of refused) assert.equal(r.reason.code, 'GREGOR_ERR_OVERLOADED');
        // The bound counts running reads only: once they end, reading works again.
        assert.equal((await c.call('state', stateArg(U1))).items.length, 3000);
      } finally {
        await h.close();
      }
    });

    it('refuses reads of one user past the per-user bound, across connections', async () => {
      const h = await startServer({ stateMachine: engine, maxReadsPerUser: 2 });
      try {
        const clients = await Promise.all([h.user(U1), h.user(U1), h.user(U1)]);
        const results = await Promise.allSettled(
          clients.map((c) => c.call('sync', { uid: U1, deviceid: null, ctime: 0 })),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
        const refused = results.find((r) => r.status === 'rejected');
        assert.equal(refused?.reason.code, 'GREGOR_ERR_OVERLOADED');
      } finally {
        await h.close();
      }
    });
  });
});
