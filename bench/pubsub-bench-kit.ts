/**
 * Shared pieces of the pub/sub benchmarks: a bounded publish pump, a delivery counter, Redis
 * memory readings and result printing. Benchmarks print figures and ratios against baselines
 * measured in the same run; nothing here asserts a speed (speeds depend on the machine).
 */
import { createClient, type RedisClientType } from 'redis';

/** A connected bare node-redis client (for baselines and INFO). */
export async function bareClient(url: string): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Redis `used_memory` in bytes. */
export async function usedMemory(client: RedisClientType): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Redis `total_net_output_bytes`: everything the server has written to its clients. */
export async function netOutputBytes(client: RedisClientType): Promise<number> {
  const info = await client.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Run `count` publishes, at most `window` in flight at once. */
async function pump(
  count: number,
  window: number,
  publish: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await publish(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

/** Counts deliveries and resolves `done` when `expected` have arrived. */
export class Arrivals {
  count = 0;
  readonly done: Promise<void>;
  readonly #expected: number;
  #resolve: () => void = () => undefined;

  constructor(expected: number) {
    this.#expected = expected;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Count one delivery. */
  readonly hit = (): void => {
    if (++this.count === this.#expected) this.#resolve();
  };
}

/**
 * Publish `count` messages, at most `window` in flight, and resolve with the ms until `arrivals`
 * has counted every expected delivery.
 */
export function timeDelivery(
  arrivals: Arrivals,
  count: number,
  window: number,
  publish: (i: number) => Promise<unknown>,
): Promise<number> {
  return timed(async () => {
    await pump(count, window, publish);
    await arrivals.done;
  });
}

/** Time `run` in ms. */
export async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Print one result row: a name, a figure and its unit, and optional notes. */
export function report(name: string, value: number, unit: string, note = ''): void {
  const figure = value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
  console.log(`${name.padEnd(58)} ${figure.padStart(12)} ${unit.padEnd(10)} ${note}`);
}

/** 32-hex-digit uid number `i`. */
export function uidOf(i: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(12, i);
  bytes[0] = 0x9a;
  return bytes;
}
