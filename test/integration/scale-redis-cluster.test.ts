// Two real gregord processes on a PRIVATE Redis Cluster (3 masters, 3 replicas on loopback ports,
// cluster-node-timeout 1 s, a password) and a scratch PostgreSQL database, with
// `--redis-cluster-nodes` and `--redis-password`:
// a message consumed on one reaches a device on the other, describeConnectedUsers and session
// revocations cross instances, a slot moved to another master is followed, and a master killed
// during traffic is replaced by its replica while /readyz names the shard that is down; the users
// of that shard are told to resync (not every user), and every device ends at the stored state.
// The processes, the cluster and the database are always removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GregorClient } from '../../packages/client/src/client/index.js';
import {
  type ConnectedUser,
  GREGORD_METHODS,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/index.js';
import { slotOf } from '../../packages/server/src/pubsub/cluster-slot.js';
import { eventually } from '../helpers/eventually.js';
import { serviceSkipReason } from '../helpers/services.js';
import { clusterSkipReason, PrivateRedisCluster } from '../unit/pubsub/private-redis-cluster.js';
import { GregordProcess, httpGet, stopAll } from './helpers/gregord-process.js';
import {
  createScratchDatabase,
  hex,
  mockTokenOf,
  numberedCreation,
  rotatingConnector,
  runUIDs,
  type ScratchDatabase,
  SUPERUSER_TOKEN,
} from './helpers/scale-fixtures.js';
import { TestClient } from './helpers/test-client.js';

/** Failover takes cluster-node-timeout (1 s) and an election; gregord reconnects soon after. */
const WAIT = { timeoutMs: 15_000, intervalMs: 25 };
const USERS = 12;
/** The cluster requires a password: gregord gets it from --redis-password. */
const PASSWORD = 'scale-redis-cluster-password';
const SKIP = clusterSkipReason() ?? (await serviceSkipReason('postgres'));

/** The shard a user's channel lives on (gregord's default prefix). */
const slotOfUser = (uid: UID): number => slotOf(`gregor:u:${toHex(uid)}`);

interface ReadyBody {
  ready: boolean;
  bus: boolean;
  busShards?: Array<{ node: string; slots: string; ready: boolean }>;
}

describe('gregord processes on a Redis Cluster (sharded pub/sub)', { skip: SKIP }, () => {
  let cluster: PrivateRedisCluster | undefined;
  let db: ScratchDatabase | undefined;
  let nodes: GregordProcess[] = [];
  const clients: TestClient[] = [];
  const devices: GregorClient[] = [];
  const users = runUIDs(USERS);
  /** How many gregor.resync each user's device (on instance 1) got. */
  const resyncs = new Map<string, number>();
  const written = new Map<string, number>();

  async function rpc(i: number, token: string): Promise<TestClient> {
    const client = await TestClient.tcp(nodes[i]!.tcpPort);
    clients.push(client);
    await client.login(token);
    return client;
  }

  /** Each user's writer, on instance 0 (a session consumes for its own user only). */
  const writers = new Map<string, Promise<TestClient>>();

  async function consume(uid: UID): Promise<void> {
    const key = toHex(uid);
    if (!writers.has(key)) writers.set(key, rpc(0, mockTokenOf(uid, 'writer')));
    const writer = await writers.get(key)!;
    const n = (written.get(key) ?? 0) + 1;
    written.set(key, n);
    await writer.call('consumeMessage', { m: numberedCreation(uid, 0, n) });
  }

  async function readyz(i: number): Promise<{ status: number; body: ReadyBody }> {
    const { status, body } = await httpGet(nodes[i]!.httpPort!, '/readyz');
    return { status, body: JSON.parse(body) as ReadyBody };
  }

  async function converged(su: TestClient, what: string): Promise<void> {
    for (const [i, device] of devices.entries()) {
      const uid = users[i]!;
      const stored = hex((await su.call('sync', { uid, deviceid: null, ctime: 0 })).hash);
      await eventually(async () => hex(await device.stateHash()) === stored, {
        ...WAIT,
        message: `${what}: the device of user ${i} at the stored state`,
      });
    }
  }

  before(async () => {
    cluster = await PrivateRedisCluster.start({ password: PASSWORD });
    db = await createScratchDatabase('postgres');
    nodes = await GregordProcess.startMany(
      2,
      {
        storage: db.url,
        args: [
          '--redis-cluster-nodes',
          cluster.nodeAddresses.join(','),
          '--redis-password',
          PASSWORD,
        ],
      },
      'redis-cluster-',
    );
    // One device per user on instance 1; every write goes through instance 0.
    for (const uid of users) {
      const device = new GregorClient({
        uid,
        token: mockTokenOf(uid, 'device'),
        connect: rotatingConnector(() => [nodes[1]!.tcpPort]),
        reconnect: () => 100,
      });
      device.on('resync', () => resyncs.set(toHex(uid), (resyncs.get(toHex(uid)) ?? 0) + 1));
      devices.push(device);
      await device.start();
    }
  });
  after(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
    const alive = nodes.filter((n) => n.isAlive);
    await stopAll(nodes);
    await cluster?.stop();
    await db?.drop();
    for (const node of alive) assert.equal(node.child.exitCode, 0, `${node.name}: ${node.stderr}`);
  });

  it('crosses instances: a consume reaches the device on the other, describeConnectedUsers counts both, a revocation closes the session on the other', async () => {
    for (const i of [0, 1]) {
      const { status, body } = await readyz(i);
      assert.equal(status, 200);
      assert.equal(body.busShards?.length, 3);
      assert.ok(body.busShards?.every((shard) => shard.ready));
    }
    const su = await rpc(0, SUPERUSER_TOKEN);
    for (const uid of users) await consume(uid);
    await converged(su, 'after one message each');

    const described: ConnectedUser[] = await su.call('describeConnectedUsers', {
      uids: [users[0]!],
    });
    // Its writer on instance 0 and its device on instance 1.
    assert.equal(described[0]?.devices.length, 2);

    const stolen = await rpc(1, mockTokenOf(users[1]!, 'stolen'));
    const spec = GREGORD_METHODS.revokeSessions;
    const arg = spec.encodeArg({ tokens: [], sessionIDs: ['stolen'], uids: [] });
    await su.session.call(spec.name, arg);
    await eventually(() => stolen.session.isClosed, {
      ...WAIT,
      message: 'the revoked session closed on the other instance',
    });
    assert.deepEqual([...resyncs.values()], [], 'nothing to resync yet');
  });

  it('follows a slot moved to another master: the device keeps receiving', async () => {
    const uid = users[2]!;
    const slot = slotOfUser(uid);
    const from = await cluster!.masterOf(slot);
    const to = (await cluster!.nodes()).find((n) => n.isMaster && n.port !== from.port)!;
    await cluster!.moveSlot(slot, to.port);
    const su = await rpc(0, SUPERUSER_TOKEN);
    // The device's instance resubscribed the channel on the new master; new messages arrive.
    await eventually(() => (resyncs.get(toHex(uid)) ?? 0) >= 1, {
      ...WAIT,
      message: 'the moved user told to resync',
    });
    await consume(uid);
    await converged(su, 'after the move');
  });

  it('a master killed during traffic: /readyz names the shard, its replica takes over, its users resync, every device converges', async () => {
    resyncs.clear();
    const victim = await cluster!.masterOf(slotOfUser(users[0]!));
    const onVictim = (uid: UID): boolean =>
      victim.slots.some(([lo, hi]) => lo <= slotOfUser(uid) && slotOfUser(uid) <= hi);
    const affected = users.filter(onVictim);
    assert.ok(affected.length > 0 && affected.length < USERS, 'users on both sides');

    const su = await rpc(0, SUPERUSER_TOKEN);
    let isRunning = true;
    const traffic = (async () => {
      while (isRunning) {
        await Promise.all(users.map((uid) => consume(uid)));
      }
    })();

    await cluster!.server(victim.port).kill();
    for (const i of [0, 1]) {
      await eventually(async () => (await readyz(i)).status === 503, {
        ...WAIT,
        message: `instance ${i} not ready while the master is down`,
      });
    }
    const { body } = await readyz(1);
    assert.equal(body.bus, false);
    assert.deepEqual(
      body.busShards?.filter((shard) => !shard.ready).map((shard) => shard.node),
      [`127.0.0.1:${victim.port}`],
      'the shard that is down is named',
    );

    for (const i of [0, 1]) {
      await eventually(async () => (await readyz(i)).status === 200, {
        ...WAIT,
        message: `instance ${i} ready again after the failover`,
      });
    }
    isRunning = false;
    await traffic;
    assert.notEqual((await cluster!.masterOf(slotOfUser(users[0]!))).port, victim.port);
    await eventually(() => affected.every((uid) => (resyncs.get(toHex(uid)) ?? 0) >= 1), {
      ...WAIT,
      message: "the failed shard's users told to resync",
    });
    await Promise.all(users.map((uid) => consume(uid)));
    await converged(su, 'after the failover');
    // The device's instance resynced the failed shard's users, and never every user. (A user of
    // another shard may still get one: instance 0 asks again for any user a publication of which
    // failed, and on a loaded machine a publication to a healthy shard can time out.)
    const resyncLogs = nodes[1]!.logs.filter((line) => /^bus resync/.test(line.msg ?? ''));
    assert.ok(
      resyncLogs.some((line) => line.users === affected.length),
      `a resync of the ${affected.length} users of the shard: ${JSON.stringify(resyncLogs)}`,
    );
    assert.ok(
      resyncLogs.every((line) => typeof line.users === 'number'),
      'never every local connection',
    );
    assert.deepEqual(
      nodes.map((n) => n.isAlive),
      [true, true],
    );
  });
});
