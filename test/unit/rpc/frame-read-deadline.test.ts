// A frame whose first byte arrived must be complete within frameReadTimeoutMs, counted from that
// byte (a trickle of bytes does not keep it alive); each completed frame starts a new deadline.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import { encodeCanonical } from '../../../packages/client/src/protocol/index.js';
import { encodeFrame } from '../../../packages/client/src/rpc/internal.js';
import { sessionWithPeer, settle } from './raw-peer.js';

const TIMEOUT_MS = 1000;
/** A length prefix of 4096 bytes and the first payload byte (a 4-element array). */
const FRAME_START_HEX = 'cd100094';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('RpcSession frame read deadline', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.uninstall());

  it('closes a session whose frame is not complete in time, though bytes keep trickling in', async () => {
    const { session, peer, events } = sessionWithPeer({ frameReadTimeoutMs: TIMEOUT_MS });
    peer.sendHex(FRAME_START_HEX);
    await settle();
    for (let i = 0; i < 3; i++) {
      await clock.tickAsync(TIMEOUT_MS / 3 - 10);
      peer.sendHex('00');
      await settle();
    }
    assert.equal(session.isClosed, false);
    await clock.tickAsync(40);
    assert.equal(session.isClosed, true);
    assert.deepEqual(events, [
      'error:GREGOR_ERR_PROTOCOL_FRAME_TIMEOUT',
      'close:GREGOR_ERR_PROTOCOL_FRAME_TIMEOUT',
    ]);
    assert.equal(clock.countTimers(), 0);
  });

  it('starts a new deadline with each frame, so a session whose frames complete in time stays', async () => {
    const { session, peer } = sessionWithPeer({ frameReadTimeoutMs: TIMEOUT_MS });
    session.handle('a.ping', () => 'pong');
    for (let seq = 1; seq <= 3; seq++) {
      const frame = hex(encodeFrame(encodeCanonical([0, seq, 'a.ping', [{}]])));
      peer.sendHex(frame.slice(0, 6));
      await settle();
      await clock.tickAsync(TIMEOUT_MS * 0.8);
      peer.sendHex(frame.slice(6));
      await settle();
    }
    await peer.waitFor(3);
    await clock.tickAsync(TIMEOUT_MS * 5);
    assert.equal(session.isClosed, false, 'no frame in progress: nothing to time out');
    session.close();
  });

  it('has no deadline by default (a client reading a large answer over a slow link)', async () => {
    const { session, peer } = sessionWithPeer();
    peer.sendHex(FRAME_START_HEX);
    await settle();
    await clock.tickAsync(10 * 60_000);
    assert.equal(session.isClosed, false);
    assert.equal(clock.countTimers(), 0);
    session.close();
  });
});
