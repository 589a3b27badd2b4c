/**
 * The channel-layout choice, measured (docs/pubsub.md): one Redis channel per uid, against N shard
 * channels with the uid inside the payload and filtering at the receiver. Both use bare node-redis
 * clients so that only the layout differs. K subscriber "instances" each hold 1/K of the users.
 */
import type { RedisClientType } from 'redis';
import {
  Arrivals,
  bareClient,
  median,
  netOutputBytes,
  report,
  timeDelivery,
  uidOf,
  usedMemory,
} from './pubsub-bench-kit.js';

const INSTANCES = 4;
const USERS = 8000;
const SHARDS = 1024;
const MESSAGES = 40_000;
const WINDOW = 256;
const ROUNDS = 3;
const PAYLOAD = Buffer.alloc(300, 7);

const hex = (uid: Uint8Array): string => Buffer.from(uid).toString('hex');

async function subscribers(url: string): Promise<RedisClientType[]> {
  return Promise.all(Array.from({ length: INSTANCES }, () => bareClient(url)));
}

interface LayoutResult {
  ms: number;
  /** Redis memory for the subscriptions. */
  bytes: number;
  /** What Redis wrote to its clients while the messages moved. */
  outBytes: number;
  /** Messages an instance received for users it does not hold. */
  wasted: number;
}

/** Per-uid channels: each instance subscribes its own users; Redis routes each message once. */
async function perUid(url: string, publisher: RedisClientType): Promise<LayoutResult> {
  const subs = await subscribers(url);
  const arrivals = new Arrivals(MESSAGES);
  const before = await usedMemory(publisher);
  for (let k = 0; k < INSTANCES; k++) {
    const mine: string[] = [];
    for (let u = k; u < USERS; u += INSTANCES) mine.push(`bench:u:${hex(uidOf(u))}`);
    await subs[k]!.subscribe(mine, arrivals.hit, true);
  }
  const bytes = (await usedMemory(publisher)) - before;
  const outBefore = await netOutputBytes(publisher);
  const ms = await timeDelivery(arrivals, MESSAGES, WINDOW, (i) =>
    publisher.publish(`bench:u:${hex(uidOf(i % USERS))}`, PAYLOAD),
  );
  const outBytes = (await netOutputBytes(publisher)) - outBefore;
  await Promise.all(subs.map((s) => s.close()));
  return { ms, bytes, outBytes, wasted: 0 };
}

/**
 * Shard channels: each instance holds users in every shard, so it subscribes every shard, gets
 * every message, and keeps the ones for its users.
 */
async function sharded(url: string, publisher: RedisClientType): Promise<LayoutResult> {
  const subs = await subscribers(url);
  const arrivals = new Arrivals(MESSAGES);
  let wasted = 0;
  const before = await usedMemory(publisher);
  const shards = Array.from({ length: SHARDS }, (_, s) => `bench:s:${s}`);
  for (let k = 0; k < INSTANCES; k++) {
    const local = new Set<string>();
    for (let u = k; u < USERS; u += INSTANCES) local.add(hex(uidOf(u)));
    await subs[k]!.subscribe(
      shards,
      (message: Buffer) => {
        if (local.has(message.subarray(0, 16).toString('hex'))) arrivals.hit();
        else wasted++;
      },
      true,
    );
  }
  const bytes = (await usedMemory(publisher)) - before;
  const outBefore = await netOutputBytes(publisher);
  const ms = await timeDelivery(arrivals, MESSAGES, WINDOW, (i) => {
    const uid = uidOf(i % USERS);
    const shard = new DataView(uid.buffer).getUint32(12) % SHARDS;
    return publisher.publish(`bench:s:${shard}`, Buffer.concat([uid, PAYLOAD]));
  });
  const outBytes = (await netOutputBytes(publisher)) - outBefore;
  await Promise.all(subs.map((s) => s.close()));
  return { ms, bytes, outBytes, wasted };
}

/** Run both layouts against the Redis at `url` and print the comparison. */
export async function compareSchemes(url: string): Promise<void> {
  const publisher = await bareClient(url);
  console.log(
    `\n## channel layout: ${INSTANCES} instances, ${USERS} users, ${MESSAGES} messages of ${PAYLOAD.length} B`,
  );
  const a: LayoutResult[] = [];
  const b: LayoutResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(await perUid(url, publisher));
    b.push(await sharded(url, publisher));
  }
  const rate = (results: LayoutResult[]): number =>
    MESSAGES / (median(results.map((r) => r.ms)) / 1000);
  const first = (results: LayoutResult[]): LayoutResult => results[0]!;
  report(`per-uid channels: delivered messages/s (median of ${ROUNDS})`, rate(a), 'msg/s');
  report(`sharded (${SHARDS} shards): useful messages/s (median of ${ROUNDS})`, rate(b), 'msg/s');
  report('per-uid / sharded throughput', rate(a) / rate(b), 'x');
  report('per-uid: Redis output bytes per message', first(a).outBytes / MESSAGES, 'B');
  report('sharded: Redis output bytes per useful message', first(b).outBytes / MESSAGES, 'B');
  report(
    'sharded: messages received and thrown away',
    first(b).wasted,
    'msgs',
    `(${(first(b).wasted / MESSAGES).toFixed(1)} per useful one)`,
  );
  report('per-uid: Redis memory for the subscriptions', first(a).bytes / 1024, 'KiB');
  report('sharded: Redis memory for the subscriptions', first(b).bytes / 1024, 'KiB');
  await publisher.close();
}
