/**
 * A GregorClient whose `sync` answer would not fit in one frame (a user with a long history of
 * dismissals, which the log keeps) falls back to a fresh sync: the server refuses the sync with
 * GREGOR_ERR_RESULT_TOO_LARGE, and the state, which the quota keeps within a frame, is fetched.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { GregorClient, type SyncOutcome } from '../../packages/client/src/client/internal.js';
import { type Message, type MsgID, stateHash } from '../../packages/client/src/protocol/index.js';
import { creation, retryEvery, spyConnector, T0, U1 } from '../unit/client/fixtures.js';
import { type Harness, startServer } from './helpers/test-server.js';

/** A dismissal-only message with a long (and unknown) msgID list, logged for ever. */
function bulkyDismissal(n: number): Message {
  const msgID = new Uint8Array(16).fill(0xee);
  msgID[15] = n;
  msgID[14] = n >> 8;
  const ids = Array.from({ length: 20 }, (_, i) => new Uint8Array(16).fill(0x80 + i) as MsgID);
  return {
    ibm: {
      stateUpdate: {
        md: { uid: U1, msgID: msgID as MsgID, ctime: 0, deviceID: null, inBandMsgType: 1 },
        dismissal: { msgIDs: ids, ranges: [] },
      },
    },
  };
}

describe('GregorClient with a sync answer past one frame', () => {
  let h: Harness | undefined;
  let c: GregorClient | undefined;
  afterEach(async () => {
    await c?.close();
    await h?.close();
  });

  it('falls back to a fresh sync and ends level with the server', { timeout: 20_000 }, async () => {
    const frame = 64 * 1024;
    h = await startServer({ rpcLimits: { maxFrameBytes: frame, maxWriteBufferBytes: 4 * frame } });
    for (let i = 1; i <= 5; i++) await h.stateMachine.consumeMessage(creation(U1, i, T0 - 100 + i));
    // About 400 bytes each: 200 of them pass the 64 KiB frame.
    for (let n = 0; n < 200; n++) await h.stateMachine.consumeMessage(bulkyDismissal(n));
    await assert.rejects(
      h.stateMachine.inBandMessagesSince(U1, null, 0, { maxResultBytes: frame }),
      {
        code: 'GREGOR_ERR_RESULT_TOO_LARGE',
      },
    );
    const spy = spyConnector(h.addresses.tcp!.port);
    c = new GregorClient({
      uid: U1,
      token: h.auth.allow(U1),
      connect: spy,
      reconnect: retryEvery(5),
    });
    const synced = new Promise<SyncOutcome>((resolve) => c!.on('sync', resolve));
    await c.start();
    const outcome = await synced;
    assert.equal(outcome.isFresh, true);
    assert.equal(spy.callsOf('state').length, 1);
    assert.equal((await c.stateMachineState(null, false)).items.length, 5);
    assert.deepEqual(await c.stateHash(), stateHash(await h.stateMachine.state(U1, null, null)));
  });
});
