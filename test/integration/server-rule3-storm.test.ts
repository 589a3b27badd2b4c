// Rule 3 (docs/architecture.md, "The four rules"): a seeded, randomised connect/EOF storm for a few
// users with concurrent broadcasts (bounded in count and time, loopback only), checking the Hub's
// invariants throughout and every delivery afterwards. Set STORM_SEED to replay a run; the seed is
// in every failure.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { UID } from '../../packages/client/src/protocol/index.js';
import { InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { eventually } from '../helpers/eventually.js';
import { prng } from '../helpers/random.js';
import { withSubscribeLatency } from './helpers/slow-bus.js';
import type { TestClient } from './helpers/test-client.js';
import { type Harness, id, oob, startServer } from './helpers/test-server.js';

const USERS = [id(0x11), id(0x12), id(0x13)];
const MAX_OPS = 600;
const MAX_STORM_MS = 2000;

interface Tracked {
  client: TestClient;
  user: number;
  /** Broadcasts issued before this index may be missed; later ones must arrive. */
  loggedInAt: number;
  isClosedByTest: boolean;
}

describe('Hub under a connect/EOF storm (rule 3)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await h?.bus.close();
    h = undefined;
  });

  it('keeps every actor subscribed and connected, delivers to every attached connection, and ends empty', async () => {
    const seed = Number(process.env.STORM_SEED ?? Date.now() % 1_000_000);
    const ctx = `seed ${seed}`;
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    // The bus pays a round trip on (un)subscribe, so attaches and detaches of a user overlap.
    const bus = withSubscribeLatency(new InProcessBus(), () => Math.floor(random() * 4));
    h = await startServer({ bus });
    const harness = h;
    for (const uid of USERS) harness.auth.allow(uid);
    const sender = await harness.superuser();

    const tracked: Tracked[] = [];
    const sentTo: number[] = []; // broadcast index → user index
    const inFlight = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>): void => {
      const settled = p.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
    };
    const checkHub = (): void => {
      for (const actor of harness.server.hub.actors()) {
        assert.ok(actor.size > 0, `${ctx}: an actor without connections`);
      }
      assert.equal(
        harness.server.hub.subscriptionCount,
        harness.server.hub.actorCount,
        `${ctx}: every actor has exactly one subscription`,
      );
    };

    const connect = async (user: number, closeEarly: boolean): Promise<void> => {
      const client = await harness.client();
      const login = client.login(harness.auth.allow(USERS[user] as UID));
      if (closeEarly) {
        // EOF while the login (and so the attach) may still be in flight.
        const closing = client.close();
        await login.catch(() => undefined);
        await closing;
        return;
      }
      await login;
      tracked.push({ client, user, loggedInAt: sentTo.length, isClosedByTest: false });
    };

    const start = Date.now();
    for (let op = 0; op < MAX_OPS && Date.now() - start < MAX_STORM_MS; op++) {
      const r = random();
      const live = tracked.filter((t) => !t.isClosedByTest);
      if (r < 0.3) {
        track(connect(Math.floor(random() * USERS.length), random() < 0.25));
      } else if (r < 0.5 && live.length > 0) {
        const victim = pick(live);
        victim.isClosedByTest = true;
        // The last connection of a user closing while a new one for the same user arrives.
        if (random() < 0.5) track(connect(victim.user, false));
        track(victim.client.close());
      } else {
        const user = Math.floor(random() * USERS.length);
        const index = sentTo.length;
        sentTo.push(user);
        track(sender.call('consumeMessage', { m: oob(USERS[user] as UID, `b${index}`) }));
      }
      checkHub();
      if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
    }
    while (inFlight.size > 0) await Promise.all(inFlight);
    checkHub();

    // Every connection still open got every broadcast of its user issued after its login, once.
    for (const t of tracked.filter((x) => !x.isClosedByTest)) {
      const expected = sentTo
        .map((user, index) => ({ user, index }))
        .filter((b) => b.user === t.user && b.index >= t.loggedInAt)
        .map((b) => `b${b.index}`);
      await eventually(
        () => expected.every((s) => t.client.received.some((m) => m.oobm?.system === s)),
        { timeoutMs: 5000, message: `${ctx}: deliveries to a connection of user ${t.user}` },
      );
    }
    for (const t of tracked) {
      const systems = t.client.received.map((m) => m.oobm!.system);
      assert.equal(new Set(systems).size, systems.length, `${ctx}: no duplicate deliveries`);
      for (const s of systems) {
        assert.equal(sentTo[Number(s.slice(1))], t.user, `${ctx}: only the user's own messages`);
      }
    }
    assert.ok(sentTo.length > 20 && tracked.length > 20, `${ctx}: the storm did something`);

    await Promise.all(tracked.map((t) => t.client.close()));
    await sender.close();
    await eventually(() => harness.server.hub.actorCount === 0, {
      timeoutMs: 5000,
      message: `${ctx}: actors gone`,
    });
    assert.equal(harness.server.hub.subscriptionCount, 0, `${ctx}: subscriptions gone`);
  });
});
