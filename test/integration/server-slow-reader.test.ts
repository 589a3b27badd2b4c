// A frozen reader must not delay the user's other connections; past the write buffer bound or
// the broadcast timeout it is closed (docs/architecture.md, "6. Every device").
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { closedByServer, freeze, ignoreCalls, rawLogin } from './helpers/raw-peer.js';
import { type Harness, oob, startServer, U1 } from './helpers/test-server.js';

const BODY = 'x'.repeat(8 * 1024);

async function counter(h: Harness): Promise<number> {
  const metric = await h.server.metrics.slowConnectionsClosed.get();
  return metric.values[0]?.value ?? 0;
}

describe('slow and frozen connections', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a reader that stopped reading is closed past the write-buffer bound; the others get everything', async () => {
    h = await startServer({
      rpcLimits: { maxFrameBytes: 32 * 1024, maxWriteBufferBytes: 64 * 1024 },
    });
    const harness = h;
    const good = await harness.user(U1);
    const frozen = await rawLogin(harness.addresses.tcp!.port, harness.auth.allow(U1));
    freeze(frozen);
    await eventually(() => harness.server.hub.actorOf(U1)?.size === 2, {
      timeoutMs: 3000,
      message: 'both attached',
    });
    const su = await harness.superuser();
    // Enough bytes to fill the kernel buffers and then the server's bounded write buffer.
    let sent = 0;
    while (harness.server.hub.actorOf(U1)?.size === 2 && sent < 4000) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          su.call('consumeMessage', { m: oob(U1, `m${sent + i}`, BODY) }),
        ),
      );
      sent += 50;
    }
    assert.equal(harness.server.hub.actorOf(U1)?.size, 1, 'the frozen reader was removed');
    await good.waitForBroadcasts(sent);
    assert.deepEqual(
      good.received.map((m) => m.oobm!.system),
      Array.from({ length: sent }, (_, i) => `m${i}`),
    );
    assert.equal(await counter(harness), 1);
    frozen.destroy();
  });

  it('a client that never answers does not hold up the others, and is closed after the broadcast timeout', async () => {
    h = await startServer({ broadcastTimeoutMs: 1000 });
    const harness = h;
    const good = await harness.user(U1);
    const stuck = await rawLogin(harness.addresses.tcp!.port, harness.auth.allow(U1));
    ignoreCalls(stuck);
    await eventually(() => harness.server.hub.actorOf(U1)?.size === 2, {
      timeoutMs: 3000,
      message: 'both attached',
    });
    const su = await harness.superuser();
    for (let i = 0; i < 20; i++) await su.call('consumeMessage', { m: oob(U1, `m${i}`) });
    // Every message reached the good connection while the stuck one still held its calls.
    await good.waitForBroadcasts(20);
    assert.equal(harness.server.hub.actorOf(U1)?.size, 2);
    await closedByServer(stuck);
    await eventually(() => harness.server.hub.actorOf(U1)?.size === 1, {
      timeoutMs: 3000,
      message: 'stuck one removed',
    });
    assert.equal(await counter(harness), 1);
    await su.call('consumeMessage', { m: oob(U1, 'after') });
    await good.waitForBroadcasts(21);
  });
});
