/**
 * The Bus conformance suite: one set of behaviours, run unchanged against every
 * transport (bus-inprocess.test.ts, bus-redis.test.ts), so that they cannot drift apart.
 *
 * Tests that must show something did NOT arrive use a fence: another instance publishes a marker
 * on the same uid after the operation under test; once the marker has arrived, anything the
 * transport would have delivered before it has arrived too (per-uid order; docs/pubsub.md,
 * "Delivery guarantees").
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Bus, BusLogger } from '../../packages/server/src/pubsub/index.js';
import { eventually } from '../helpers/eventually.js';

/** Creates `count` buses that see each other and nobody else. */
export interface BusFactory {
  /** Set when the transport is unavailable here: the suite is skipped with this reason. */
  skip?: string | undefined;
  makeCluster(count: number, options: { logger: BusLogger }): Promise<Bus[]>;
}

const WAIT_MS = 5000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const U1 = Uint8Array.from(Buffer.from('11111111111111111111111111111119', 'hex'));
const U2 = Uint8Array.from(Buffer.from('22222222222222222222222222222219', 'hex'));

/** Records what a handler receives and waits for a given payload. */
class Recorder {
  readonly received: string[] = [];
  readonly bytes: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  readonly handler = (payload: Uint8Array): void => {
    this.bytes.push(Uint8Array.from(payload));
    this.received.push(Buffer.from(payload).toString());
    this.#wake?.();
  };

  /** Wait until `payload` has arrived (or, given a number, that many payloads). */
  async until(payload: string | number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    const isDone = (): boolean =>
      typeof payload === 'number'
        ? this.received.length >= payload
        : this.received.includes(payload);
    while (!isDone()) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `"${payload}" not received; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** A logger that keeps what it is given, so tests stay quiet and can inspect it. */
export function memoryLogger(): BusLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (_obj, msg) => lines.push(msg), error: (_obj, msg) => lines.push(msg) };
}

/** Run the Bus behaviours against the transport `factory` makes. */
export function runBusSuite(name: string, factory: BusFactory): void {
  describe(`Bus conformance: ${name}`, { skip: factory.skip ?? false }, () => {
    let open: Bus[] = [];
    const cluster = async (count: number): Promise<Bus[]> => {
      const buses = await factory.makeCluster(count, { logger: memoryLogger() });
      open.push(...buses);
      return buses;
    };
    afterEach(async () => {
      await Promise.all(open.map((bus) => bus.close()));
      open = [];
    });

    it('is ready on creation and has a distinct 32-hex-digit instance id per instance', async () => {
      const [a, b] = await cluster(2);
      assert.ok(a!.isReady && b!.isReady);
      assert.match(a!.instanceId, /^[0-9a-f]{32}$/);
      assert.notEqual(a!.instanceId, b!.instanceId);
    });

    it('delivers a publication exactly once to subscribers of that uid on other instances only', async () => {
      const [a, b, c] = await cluster(3);
      const atA = new Recorder();
      const atB = new Recorder();
      const atC = new Recorder();
      const otherUid = new Recorder();
      await a!.subscribe(U1, atA.handler);
      await b!.subscribe(U1, atB.handler);
      await c!.subscribe(U1, atC.handler);
      await b!.subscribe(U2, otherUid.handler);
      await a!.publish(U1, text('m1'));
      await c!.publish(U1, text('fence'));
      await atA.until('fence');
      await atB.until('fence');
      assert.deepEqual(atA.received, ['fence'], 'the publisher never receives its own message');
      assert.deepEqual(atB.received, ['m1', 'fence']);
      assert.deepEqual(atC.received, ['m1'], 'c published the fence itself');
      assert.deepEqual(otherUid.received, []);
      assert.equal(b!.stats().delivered, 2);
    });

    it('delivers the payload bytes unchanged, including an empty payload', async () => {
      const [a, b] = await cluster(2);
      const atB = new Recorder();
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      await b!.subscribe(U1, atB.handler);
      await a!.publish(U1, every);
      await a!.publish(U1, new Uint8Array(0));
      await atB.until(2);
      assert.deepEqual(atB.bytes, [every, new Uint8Array(0)]);
    });

    it('preserves publication order per uid', async () => {
      const [a, b] = await cluster(2);
      const atB = new Recorder();
      await b!.subscribe(U1, atB.handler);
      const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m) => a!.publish(U1, text(m))));
      await atB.until('m199');
      assert.deepEqual(atB.received, sent);
    });

    it('stops delivery after unsubscribe, and unsubscribe is idempotent', async () => {
      const [a, b, c] = await cluster(3);
      const atB = new Recorder();
      const atC = new Recorder();
      const sub = await b!.subscribe(U1, atB.handler);
      await c!.subscribe(U1, atC.handler);
      await a!.publish(U1, text('before'));
      await atB.until('before');
      await sub.unsubscribe();
      await sub.unsubscribe();
      await a!.publish(U1, text('after'));
      await atC.until('after');
      await b!.publish(U1, text('fence'));
      await atC.until('fence');
      assert.deepEqual(atB.received, ['before']);
    });

    it('reference-counts local subscribers of one uid', async () => {
      const [a, b, c] = await cluster(3);
      const first = new Recorder();
      const second = new Recorder();
      const atC = new Recorder();
      await c!.subscribe(U1, atC.handler);
      const s1 = await b!.subscribe(U1, first.handler);
      const s2 = await b!.subscribe(U1, second.handler);
      const s3 = await b!.subscribe(U1, second.handler);
      await a!.publish(U1, text('both'));
      await second.until('both');
      assert.deepEqual(first.received, ['both']);
      assert.deepEqual(
        second.received,
        ['both', 'both'],
        'two subscriptions of one handler count twice',
      );
      await s1.unsubscribe();
      await s2.unsubscribe();
      await a!.publish(U1, text('one left'));
      await second.until('one left');
      assert.deepEqual(first.received, ['both']);
      await s3.unsubscribe();
      await a!.publish(U1, text('none left'));
      await atC.until('none left');
      await a!.publish(U1, text('fence'));
      await atC.until('fence');
      assert.deepEqual(second.received, ['both', 'both', 'one left']);
    });

    it('keeps delivering to other handlers when one throws, and counts the failure', async () => {
      const [a, b] = await cluster(2);
      const atB = new Recorder();
      await b!.subscribe(U1, () => {
        throw new Error('handler bug');
      });
      await b!.subscribe(U1, atB.handler);
      await a!.publish(U1, text('m1'));
      await atB.until('m1');
      assert.equal(b!.stats().handlerErrors, 1);
    });

    it('rejects an empty uid with GREGOR_ERR_INPUT_INVALID', async () => {
      const [a] = await cluster(1);
      await assert.rejects(a!.publish(new Uint8Array(0), text('x')), {
        code: 'GREGOR_ERR_INPUT_INVALID',
      });
      await assert.rejects(
        a!.subscribe(new Uint8Array(0), () => {}),
        {
          code: 'GREGOR_ERR_INPUT_INVALID',
        },
      );
    });

    // A test timeout far below the gather's timeoutMs: only an early resolution lets it pass.
    it('gathers the answers of every other instance, resolving as soon as all replied', {
      timeout: 20_000,
    }, async () => {
      const [a, b, c, d] = await cluster(4);
      let askedSelf = false;
      a!.onGather(async () => {
        askedSelf = true;
        return text('self');
      });
      b!.onGather(async (req) => text(`b:${Buffer.from(req).toString()}`));
      c!.onGather(async (req) => text(`c:${Buffer.from(req).toString()}`));
      d!.onGather(async () => {
        throw new Error('d cannot answer');
      });
      const answers = await a!.gather(text('q'), { timeoutMs: 60_000 });
      const decoded = answers.map((x) => Buffer.from(x).toString()).sort();
      assert.deepEqual(decoded, ['b:q', 'c:q']);
      assert.equal(askedSelf, false);
      assert.equal(d!.stats().handlerErrors, 1);
    });

    it('returns the answers that arrived in time when an instance stays silent', async () => {
      const [a, b, c] = await cluster(3);
      b!.onGather(async () => text('b'));
      c!.onGather(() => new Promise<Uint8Array>(() => {}));
      const answers = await a!.gather(text('q'), { timeoutMs: 300 });
      assert.deepEqual(
        answers.map((x) => Buffer.from(x).toString()),
        ['b'],
      );
    });

    it('rejects a gather with a bad timeout, or aborted by its signal', async () => {
      const [a, b] = await cluster(2);
      b!.onGather(() => new Promise<Uint8Array>(() => {}));
      await assert.rejects(a!.gather(text('q'), { timeoutMs: 0 }), {
        code: 'GREGOR_ERR_INPUT_INVALID',
      });
      const controller = new AbortController();
      const pending = a!.gather(text('q'), { timeoutMs: 60_000, signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, { code: 'GREGOR_ERR_ABORTED' });
    });

    it('announces to every other instance, not to itself, in order, until the handler is removed', async () => {
      const [a, b, c] = await cluster(3);
      const atA = new Recorder();
      const atB = new Recorder();
      const atC = new Recorder();
      a!.onAnnouncement(atA.handler);
      const offB = b!.onAnnouncement(atB.handler);
      c!.onAnnouncement(atC.handler);
      // No subscription to any uid is needed: an announcement is for the whole cluster.
      for (const m of ['r1', 'r2', 'r3']) await a!.announce(text(m));
      await atB.until('r3');
      await atC.until('r3');
      assert.deepEqual(atB.received, ['r1', 'r2', 'r3']);
      assert.deepEqual(atC.received, ['r1', 'r2', 'r3']);
      offB();
      await a!.announce(text('after'));
      await c!.announce(text('fence'));
      await atC.until('after');
      await atA.until('fence');
      assert.deepEqual(atA.received, ['fence'], 'the announcer never hears itself');
      assert.deepEqual(atB.received, ['r1', 'r2', 'r3'], 'a removed handler hears nothing more');
      assert.equal(c!.stats().announcements, 4);
    });

    it('keeps telling other announcement handlers when one throws, and counts the failure', async () => {
      const [a, b] = await cluster(2);
      const atB = new Recorder();
      b!.onAnnouncement(() => {
        throw new Error('handler bug');
      });
      b!.onAnnouncement(atB.handler);
      await a!.announce(text('r'));
      await atB.until('r');
      assert.equal(b!.stats().handlerErrors, 1);
    });

    it('rejects every operation with GREGOR_ERR_CLOSED after close, which is idempotent', async () => {
      const [a, b] = await cluster(2);
      b!.onGather(() => new Promise<Uint8Array>(() => {}));
      const pending = assert.rejects(a!.gather(text('q'), { timeoutMs: 60_000 }), {
        code: 'GREGOR_ERR_CLOSED',
      });
      const sub = await a!.subscribe(U1, () => {});
      await a!.close();
      await a!.close();
      await pending;
      assert.equal(a!.isReady, false);
      await assert.rejects(a!.publish(U1, text('x')), { code: 'GREGOR_ERR_CLOSED' });
      await assert.rejects(
        a!.subscribe(U1, () => {}),
        { code: 'GREGOR_ERR_CLOSED' },
      );
      await assert.rejects(a!.gather(text('q'), { timeoutMs: 100 }), { code: 'GREGOR_ERR_CLOSED' });
      await assert.rejects(a!.announce(text('r')), { code: 'GREGOR_ERR_CLOSED' });
      await sub.unsubscribe();
    });

    it('leaves no socket or timer behind once every instance is closed', async () => {
      const before = await settledHandles();
      const buses = await factory.makeCluster(2, { logger: memoryLogger() });
      await buses[1]!.subscribe(U1, () => {});
      await buses[0]!.publish(U1, text('x'));
      await buses[0]!.gather(text('q'), { timeoutMs: 50 });
      await Promise.all(buses.map((bus) => bus.close()));
      // Sockets finish closing a few ticks after close() resolves; a leaked one never does.
      await eventually(() => assert.deepEqual(countHandles(), before), {
        timeoutMs: WAIT_MS,
        intervalMs: 10,
      });
    });
  });
}

/**
 * The counts once they stop changing: the sockets of the previous test's instances may still be
 * closing (a cluster transport has many, and a loaded machine closes them late).
 */
async function settledHandles(): Promise<Record<string, number>> {
  let last = JSON.stringify(countHandles());
  for (let i = 0; i < WAIT_MS / 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(countHandles());
    if (now === last) break;
    last = now;
  }
  return JSON.parse(last) as Record<string, number>;
}

function countHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
