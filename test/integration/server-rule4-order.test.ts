// Rule 4 (docs/architecture.md, "The four rules"): a user's messages reach each of that user's
// connections in the order they were consumed, the sender included, with many concurrent consumes
// from several connections.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Message, toHex } from '../../packages/client/src/protocol/index.js';
import { creation, type Harness, startServer, U1 } from './helpers/test-server.js';

const PER_SENDER = 150;

function msgID(sender: number, n: number): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = sender;
  new DataView(out.buffer).setUint32(12, n);
  return out;
}

const key = (m: Message): string => toHex(m.ibm!.stateUpdate!.md.msgID);

describe('per-user delivery order (rule 4)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('every connection, the senders included, sees the user messages in the stored order', async () => {
    h = await startServer();
    const a = await h.user(U1);
    const b = await h.user(U1);
    const passive = await h.user(U1);
    const su = await h.superuser();
    const senders = [a, b, su];
    const calls: Promise<unknown>[] = [];
    for (let n = 0; n < PER_SENDER; n++) {
      senders.forEach((sender, s) => {
        calls.push(sender.call('consumeMessage', { m: creation(U1, msgID(s + 1, n)) }));
      });
    }
    await Promise.all(calls);
    const total = PER_SENDER * senders.length;
    // The clock stands still, so every message has the same ctime and sync returns them in the
    // order the server consumed (stored) them.
    const stored = await su.call('sync', { uid: U1, deviceid: null, ctime: 0 });
    const consumedOrder = stored.msgs.map((ibm) => toHex(ibm.stateUpdate!.md.msgID));
    assert.equal(consumedOrder.length, total);
    for (const c of [a, b, passive]) {
      await c.waitForBroadcasts(total);
      assert.deepEqual(c.received.map(key), consumedOrder);
    }
    // Each sender's own calls were consumed in the order it sent them.
    senders.forEach((_, s) => {
      const own = consumedOrder.filter((k) => k.startsWith(toHex(new Uint8Array([s + 1]))));
      assert.deepEqual(
        own,
        Array.from({ length: PER_SENDER }, (_, n) => toHex(msgID(s + 1, n))),
      );
    });
    assert.deepEqual(su.received, [], 'the superuser is not U1');
  });
});
