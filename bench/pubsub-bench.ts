/**
 * Pub/sub benchmark. Run: `node --expose-gc --import tsx bench/pubsub-bench.ts`
 *
 * Starts a private redis-server (so the figures are not disturbed by, and do not disturb, the
 * shared one) and prints:
 * 1. messages/s through RedisBus between two instances, against a bare node-redis PUBLISH/SUBSCRIBE
 *    pair moving the same bytes in the same run;
 * 2. the cost of 100k live uids: subscribe time, Redis `used_memory`, Node heap, and the time from
 *    a Redis restart to the resync signal;
 * 3. per-uid channels against shard channels (pubsub-schemes.ts).
 */
import { RedisBus } from '../packages/server/src/pubsub/index.js';
import { PrivateRedisServer } from '../test/unit/pubsub/private-redis-server.js';
import {
  Arrivals,
  bareClient,
  median,
  report,
  timeDelivery,
  timed,
  uidOf,
  usedMemory,
} from './pubsub-bench-kit.js';
import { compareSchemes } from './pubsub-schemes.js';

const MESSAGES = 50_000;
const ROUNDS = 3;
const WINDOW = 256;
const LIVE_UIDS = 100_000;
const PAYLOAD = new Uint8Array(300).fill(42);
const UID = uidOf(1);
const quiet = { warn: () => undefined, error: () => undefined };

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function busRound(url: string): Promise<number> {
  const [a, b] = await Promise.all([
    RedisBus.connect({ url, logger: quiet }),
    RedisBus.connect({ url, logger: quiet }),
  ]);
  const arrivals = new Arrivals(MESSAGES);
  await b.subscribe(UID, arrivals.hit);
  const ms = await timeDelivery(arrivals, MESSAGES, WINDOW, () => a.publish(UID, PAYLOAD));
  await Promise.all([a.close(), b.close()]);
  return ms;
}

async function bareRound(url: string): Promise<number> {
  const publisher = await bareClient(url);
  const subscriber = await bareClient(url);
  const arrivals = new Arrivals(MESSAGES);
  const channel = `bare:u:${Buffer.from(UID).toString('hex')}`;
  const bytes = Buffer.from(PAYLOAD);
  await subscriber.subscribe(channel, arrivals.hit, true);
  const ms = await timeDelivery(arrivals, MESSAGES, WINDOW, () =>
    publisher.publish(channel, bytes),
  );
  await Promise.all([publisher.close(), subscriber.close()]);
  return ms;
}

async function throughput(url: string): Promise<void> {
  console.log(
    `## throughput: ${MESSAGES} messages of ${PAYLOAD.length} B, ${WINDOW} in flight, median of ${ROUNDS}`,
  );
  const bus: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareRound(url));
    bus.push(await busRound(url));
  }
  const busRate = MESSAGES / (median(bus) / 1000);
  const bareRate = MESSAGES / (median(bare) / 1000);
  report('RedisBus A -> B', busRate, 'msg/s');
  report('bare node-redis PUBLISH -> SUBSCRIBE (baseline)', bareRate, 'msg/s');
  report('RedisBus / baseline', busRate / bareRate, 'x');
}

async function liveUids(server: PrivateRedisServer): Promise<void> {
  console.log(`\n## ${LIVE_UIDS.toLocaleString('en-US')} live uids on one instance`);
  const info = await bareClient(server.url);
  const uids = Array.from({ length: LIVE_UIDS }, (_, i) => uidOf(i));
  const handler = (): void => undefined;

  const baseline = await bareClient(server.url);
  const names = uids.map((uid) => `bare:u:${Buffer.from(uid).toString('hex')}`);
  let before = await usedMemory(info);
  const bareMs = await timed(async () => {
    for (let i = 0; i < names.length; i += 1000) {
      await baseline.subscribe(names.slice(i, i + 1000), handler, true);
    }
  });
  const bareBytes = (await usedMemory(info)) - before;
  await baseline.close();

  const bus = await RedisBus.connect({ url: server.url, logger: quiet });
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  before = await usedMemory(info);
  const busMs = await timed(async () => {
    await Promise.all(uids.map((uid) => bus.subscribe(uid, handler)));
  });
  const busBytes = (await usedMemory(info)) - before;
  gc();
  const heapBytes = process.memoryUsage().heapUsed - heapBefore;
  report('RedisBus: subscribe 100k uids (SUBSCRIBEs batched per tick)', busMs, 'ms');
  report('bare node-redis: SUBSCRIBE 100k channels, 1000 per command', bareMs, 'ms');
  report('RedisBus: Redis used_memory per live uid', busBytes / LIVE_UIDS, 'B');
  report('bare: Redis used_memory per channel', bareBytes / LIVE_UIDS, 'B');
  report('RedisBus: Node heap per live uid (registry + node-redis)', heapBytes / LIVE_UIDS, 'B');

  let resynced: () => void = () => undefined;
  const resync = new Promise<void>((resolve) => {
    resynced = resolve;
  });
  bus.onResync(() => resynced());
  info.destroy();
  await server.kill();
  const recoverMs = await timed(async () => {
    await server.restart();
    await resync;
  });
  report(
    'Redis restart -> resync with 100k uids resubscribed',
    recoverMs,
    'ms',
    '(includes server start)',
  );
  await bus.close();
}

const server = await PrivateRedisServer.start();
try {
  console.log(`redis-server ${server.url} (private), node ${process.version}`);
  await throughput(server.url);
  await liveUids(server);
  await compareSchemes(server.url);
} finally {
  await server.stop();
}
