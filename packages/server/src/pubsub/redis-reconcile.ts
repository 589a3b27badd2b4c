/**
 * Bring the subscriber connection's channels in line with the bus's registry after a reconnect.
 *
 * node-redis re-sends SUBSCRIBE for the channels it had confirmed before the drop, but it forgets
 * a SUBSCRIBE that was in flight when the connection died, and resubscribes a channel whose
 * UNSUBSCRIBE was in flight. The bus sends nothing while disconnected. So the registry is the
 * truth: subscribe what it has and the connection lacks, unsubscribe the rest.
 */
import type { RedisClient } from './redis-connection.js';

/** Channels per SUBSCRIBE/UNSUBSCRIBE command, so 100k uids never make one giant command. */
export const RECONCILE_BATCH = 10_000;

type Listener = (message: Buffer, channel: Buffer) => void;

function batches(channels: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < channels.length; i += RECONCILE_BATCH) {
    out.push(channels.slice(i, i + RECONCILE_BATCH));
  }
  return out;
}

/** SUBSCRIBE `channels`, at most RECONCILE_BATCH per command. */
export async function subscribeInBatches(
  subscriber: RedisClient,
  channels: string[],
  listener: Listener,
): Promise<void> {
  await Promise.all(batches(channels).map((batch) => subscriber.subscribe(batch, listener, true)));
}

/** Subscribe the `wanted` channels the client lacks, unsubscribe the ones it has beyond them. */
export async function reconcileSubscriptions(
  subscriber: RedisClient,
  wanted: readonly string[],
  listener: Listener,
): Promise<void> {
  const live = subscriber.getPubSubListeners('CHANNELS');
  const wantedSet = new Set(wanted);
  const missing = wanted.filter((channel) => {
    const listeners = live.get(channel);
    return listeners === undefined || listeners.unsubscribing;
  });
  const extra = [...live.keys()].filter((channel) => !wantedSet.has(channel));
  await Promise.all([
    subscribeInBatches(subscriber, missing, listener),
    ...batches(extra).map((channels) => subscriber.unsubscribe(channels, listener, true)),
  ]);
}
