/**
 * What the cluster transport reads from node-redis's cluster client, without changing anything:
 * which master serves a channel, whether its connections work, what a reconciliation has to do,
 * and the health of each shard. node-redis keeps the slot map (`slots`), the masters and, per
 * master, a command connection (`client`) and a sharded pub/sub connection (`pubSub`).
 */
import type { createCluster } from 'redis';
import type { ShardHealth } from './bus.js';
import { SLOT_COUNT, slotOf, slotRanges } from './cluster-slot.js';

export type Cluster = ReturnType<typeof createCluster>;
export type Master = Cluster['masters'][number];
export type NodeClient = NonNullable<Master['pubSub']>['client'];

/** A channel held by a pub/sub connection that should not hold it. */
export interface StrayChannel {
  readonly client: NodeClient;
  readonly channel: string;
}

/** What one reconciliation pass found. */
export interface Survey {
  /** Wanted channels no connection holds, whose master answers: subscribe them now. */
  readonly missing: string[];
  /** Channels held where they are not wanted: drop them. */
  readonly stray: StrayChannel[];
  /** Every wanted channel is held by a ready connection to its master, and every master answers. */
  readonly isWhole: boolean;
}

/** The master of `channel`'s slot in node-redis's slot map; undefined before discovery. */
export function masterOf(cluster: Cluster, channel: string): Master | undefined {
  return cluster.isReady ? cluster.slots[slotOf(channel)]?.master : undefined;
}

/** The master's connections work, and it reported no trouble (its address not in `troubled`). */
export function isMasterUp(master: Master, troubled: ReadonlySet<string>): boolean {
  return (
    !troubled.has(master.address) &&
    master.client?.isReady === true &&
    (master.pubSub === undefined || master.pubSub.client.isReady)
  );
}

/** The `channels` a node carries: those its slots serve, and those its pub/sub connection holds. */
export function channelsOn(cluster: Cluster, address: string, channels: string[]): string[] {
  if (!cluster.isReady) return [];
  const on = channels.filter((channel) => masterOf(cluster, channel)?.address === address);
  const node = cluster.nodeByAddress.get(address) as Master | undefined;
  const held = node?.pubSub?.client.getPubSubListeners('SHARDED');
  return held === undefined ? on : [...on, ...held.keys()];
}

/** Compare the `wanted` channels (less those whose SSUBSCRIBE is `pending`) with the connections. */
export function survey(
  cluster: Cluster,
  wanted: readonly string[],
  pending: ReadonlySet<string>,
): Survey {
  if (!cluster.isReady) return { missing: [], stray: [], isWhole: false };
  let isWhole = cluster.masters.every((master) => master.client?.isReady === true);
  const missing: string[] = [];
  for (const channel of wanted) {
    if (pending.has(channel)) continue;
    const master = masterOf(cluster, channel);
    const pubSub = master?.pubSub;
    const held = pubSub?.client.getPubSubListeners('SHARDED').get(channel);
    if (master === undefined) {
      isWhole = false;
    } else if (held === undefined || held.unsubscribing) {
      if (master.client?.isReady === true) missing.push(channel);
      else isWhole = false;
    } else if (pubSub?.connectPromise !== undefined || !pubSub?.client.isReady) {
      isWhole = false;
    }
  }
  return { missing, stray: strayChannels(cluster, new Set(wanted)), isWhole };
}

/** Channels held by a master's ready pub/sub connection that are unwanted, or not its slots'. */
function strayChannels(cluster: Cluster, wanted: ReadonlySet<string>): StrayChannel[] {
  const stray: StrayChannel[] = [];
  for (const master of cluster.masters) {
    const client = master.pubSub?.client;
    if (client === undefined || !client.isReady) continue;
    for (const [channel, held] of client.getPubSubListeners('SHARDED')) {
      if (held.unsubscribing) continue;
      if (!wanted.has(channel) || masterOf(cluster, channel) !== master) {
        stray.push({ client, channel });
      }
    }
  }
  return stray;
}

/** Each master with its slots and whether it is up; slots no master serves, as `unassigned`. */
export function shardHealth(cluster: Cluster, troubled: ReadonlySet<string>): ShardHealth[] {
  if (!cluster.isReady) return [];
  const slotsOf = new Map<Master | undefined, number[]>();
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const master = cluster.slots[slot]?.master;
    const slots = slotsOf.get(master);
    if (slots === undefined) slotsOf.set(master, [slot]);
    else slots.push(slot);
  }
  return [...slotsOf].map(([master, slots]) => ({
    node: master?.address ?? 'unassigned',
    slots: slotRanges(slots),
    ready: master !== undefined && isMasterUp(master, troubled),
  }));
}
