/**
 * RedisBus on a private Redis Cluster (3 masters, 3 replicas, cluster-node-timeout 1 s, a
 * password) under faults: a wrong password fails at once; channels spread over the shards; a slot moved to another master is followed; a master
 * killed during traffic is replaced by its replica, the bus reports that shard down meanwhile,
 * and only the users of that shard are told to resync. The cluster is always stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slotOf } from '../../../packages/server/src/pubsub/cluster-slot.js';
import { RedisBus } from '../../../packages/server/src/pubsub/index.js';
import { memoryLogger } from '../../conformance/bus-suite.js';
import { eventually } from '../../helpers/eventually.js';
import { clusterSkipReason, PrivateRedisCluster } from './private-redis-cluster.js';

/** Failover takes cluster-node-timeout (1 s) plus an election; reconnecting adds a little. */
const WAIT = { timeoutMs: 15_000, intervalMs: 20 };
const USERS = 30;
const PREFIX = 'gregor:';
/** The cluster requires a password, so the bus's `password` option is exercised too. */
const PASSWORD = 'cluster-bus-test-password';
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const uidOf = (i: number): Uint8Array =>
  Uint8Array.from(Buffer.from(`c1a57e40${String(i).padStart(24, '0')}`, 'hex'));
const hexOf = (uid: Uint8Array): string => Buffer.from(uid).toString('hex');
const channelOf = (uid: Uint8Array): string => `${PREFIX}u:${hexOf(uid)}`;

const skip = clusterSkipReason();

describe('RedisBus on a Redis Cluster, under faults', { skip }, () => {
  let cluster: PrivateRedisCluster;
  const buses: RedisBus[] = [];
  const connect = async (): Promise<RedisBus> => {
    const bus = await RedisBus.connect({
      clusterNodes: cluster.nodeAddresses,
      password: PASSWORD,
      channelPrefix: PREFIX,
      logger: memoryLogger(),
      reconnect: (attempt) => Math.min(20 * 2 ** attempt, 200),
    });
    buses.push(bus);
    return bus;
  };
  const uids = Array.from({ length: USERS }, (_, i) => uidOf(i));
  /** What b received, per hex uid. */
  const received = new Map<string, string[]>();
  /** What each resync of b named (hex uids, or undefined for every user). */
  const resyncs: Array<string[] | undefined> = [];
  let a: RedisBus;
  let b: RedisBus;

  before(async () => {
    cluster = await PrivateRedisCluster.start({ password: PASSWORD });
    a = await connect();
    b = await connect();
    b.onResync((named) => resyncs.push(named?.map(hexOf).sort()));
    for (const uid of uids) {
      await b.subscribe(uid, (payload) => {
        const key = hexOf(uid);
        received.set(key, [...(received.get(key) ?? []), Buffer.from(payload).toString()]);
      });
    }
  });
  after(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await cluster?.stop();
  });

  /** Publish `tag` for every uid from a; resolve once b got it for all of them. */
  async function roundTrip(tag: string): Promise<void> {
    await Promise.all(uids.map((uid) => a.publish(uid, text(tag))));
    await eventually(() => uids.every((uid) => received.get(hexOf(uid))?.includes(tag)), {
      ...WAIT,
      message: `every uid to receive ${tag}`,
    });
  }

  it('refuses a wrong password at once, with GREGOR_ERR_BUS_FAILED', async () => {
    const started = Date.now();
    await assert.rejects(
      RedisBus.connect({
        clusterNodes: cluster.nodeAddresses.slice(0, 1),
        password: 'wrong',
        logger: memoryLogger(),
        connectTimeoutMs: 10_000,
      }),
      (err: Error & { code?: string }) =>
        err.code === 'GREGOR_ERR_BUS_FAILED' && /WRONGPASS|invalid/.test(err.message),
    );
    assert.ok(Date.now() - started < 5000, 'not after the connect deadline');
  });

  it('hashes channels as Redis does, and spreads the uids over every shard', async () => {
    for (const uid of uids.slice(0, 5)) {
      assert.equal(slotOf(channelOf(uid)), await cluster.slotOf(channelOf(uid)));
    }
    const masters = (await cluster.nodes()).filter((node) => node.isMaster);
    assert.equal(masters.length, 3);
    let total = 0;
    for (const master of masters) {
      const channels = (await cluster.command(master.port, [
        'PUBSUB',
        'SHARDCHANNELS',
        `${PREFIX}u:*`,
      ])) as string[];
      assert.ok(channels.length > 0, `master ${master.port} carries some of the uids`);
      total += channels.length;
    }
    assert.equal(total, USERS, 'each uid subscribed once, on one shard');
    const shards = b.shards() ?? [];
    assert.equal(shards.length, 3);
    assert.ok(shards.every((shard) => shard.ready));
    await roundTrip('first');
    assert.deepEqual(resyncs, []);
  });

  it('follows a slot moved to another master, and resyncs only its users', async () => {
    const moved = uids[0]!;
    const slot = slotOf(channelOf(moved));
    const from = await cluster.masterOf(slot);
    const to = (await cluster.nodes()).find((n) => n.isMaster && n.port !== from.port)!;
    const sameSlot = uids.filter((uid) => slotOf(channelOf(uid)) === slot).map(hexOf);
    await cluster.moveSlot(slot, to.port);

    // Redis drops the channel on the old master (SUNSUBSCRIBE); the bus subscribes it anew.
    await eventually(() => resyncs.length === 1, { ...WAIT, message: 'a resync after the move' });
    assert.deepEqual(resyncs[0], sameSlot.sort());
    assert.equal(b.isReady, true);
    const onNew = (await cluster.command(to.port, [
      'PUBSUB',
      'SHARDNUMSUB',
      channelOf(moved),
    ])) as unknown[];
    assert.equal(Number(onNew[1]), 1, 'subscribed on the new master');
    await roundTrip('after the move');
  });

  it('a master killed during traffic: its shard is reported down, its replica takes over, its users resync', async () => {
    resyncs.length = 0;
    const victim = await cluster.masterOf(slotOf(channelOf(uids[1]!)));
    const onVictim = uids
      .filter((uid) =>
        victim.slots.some(
          ([lo, hi]) => lo <= slotOf(channelOf(uid)) && slotOf(channelOf(uid)) <= hi,
        ),
      )
      .map(hexOf)
      .sort();
    assert.ok(onVictim.length > 0 && onVictim.length < USERS);

    // Traffic all along: every uid, over and over, until the shard is back.
    let isRunning = true;
    /** The users a publication of which failed (on a loaded machine, a healthy shard's too). */
    const failed = new Set<string>();
    let round = 0;
    const traffic = (async () => {
      while (isRunning) {
        round++;
        const outcomes = await Promise.allSettled(
          uids.map((uid) => a.publish(uid, text(`t${round}`), { timeoutMs: 200 })),
        );
        outcomes.forEach((o, i) => {
          if (o.status === 'rejected') failed.add(hexOf(uids[i]!));
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await cluster.server(victim.port).kill();
    await eventually(() => !b.isReady, { ...WAIT, message: 'b not ready while a master is down' });
    const down = (b.shards() ?? []).filter((shard) => !shard.ready);
    assert.deepEqual(
      down.map((shard) => shard.node),
      [`127.0.0.1:${victim.port}`],
      'the down shard is named',
    );
    await eventually(() => b.isReady && a.isReady, { ...WAIT, message: 'ready after failover' });
    isRunning = false;
    await traffic;
    assert.ok(
      onVictim.some((uid) => failed.has(uid)),
      'publications to the dead master failed meanwhile',
    );
    const promoted = await cluster.masterOf(slotOf(channelOf(uids[1]!)));
    assert.notEqual(promoted.port, victim.port);
    assert.ok((b.shards() ?? []).every((shard) => shard.ready));

    // b's own resync names the shard's users. a asks again for the users whose publications
    // failed, one request per user on the user's channel (b hears those it is subscribed to by
    // then). Nobody else is resynced, and never every user.
    await eventually(() => resyncs.some((named) => named?.join() === onVictim.join()), {
      ...WAIT,
      message: "b's resync of the shard's users",
    });
    for (const named of resyncs) {
      assert.ok(
        named?.every((uid) => onVictim.includes(uid) || failed.has(uid)),
        `${named}: on the failed shard, or a publication of theirs failed`,
      );
    }
    await roundTrip('after the failover');

    // The killed master comes back as a replica of the promoted one; nothing changes for the bus.
    await cluster.server(victim.port).restart();
    await cluster.waitUntilOk();
    await roundTrip('after the old master returned');
    assert.equal(b.isReady, true);
  });
});
