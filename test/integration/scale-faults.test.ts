// Scale-out under faults, with real processes: three `gregord` child processes share a scratch
// PostgreSQL database and a PRIVATE redis-server on a free port (the shared one on 6379 is never
// stopped). describeConnectedUsers answers for the whole cluster, and still answers while one
// instance is frozen; Redis killed mid-run and restarted: no instance crashes, consumes keep
// being stored, /readyz follows the bus, and the devices on every instance get `gregor.resync`
// and converge on the stored state; an instance killed with SIGKILL: its devices reconnect to
// another instance and converge. Processes, the redis-server and the database are always removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GregorClient } from '../../packages/client/src/client/index.js';
import { type ConnectedUser, toHex, type UID } from '../../packages/client/src/protocol/index.js';
import { eventually } from '../helpers/eventually.js';
import { serviceSkipReason } from '../helpers/services.js';
import { PrivateRedisServer } from '../unit/pubsub/private-redis-server.js';
import { GregordProcess, httpGet, stopAll } from './helpers/gregord-process.js';
import {
  createScratchDatabase,
  hex,
  mockTokenOf,
  numberedCreation,
  type RotatingConnector,
  rotatingConnector,
  runUIDs,
  type ScratchDatabase,
  SUPERUSER_TOKEN,
  within,
} from './helpers/scale-fixtures.js';
import { TestClient } from './helpers/test-client.js';

/** How `eventually` waits for gregord processes and their databases. */
const CLUSTER_WAIT = { timeoutMs: 15_000, intervalMs: 25 };

const INSTANCES = 3;
/** describeConnectedUsers waits DEFAULT_GATHER_TIMEOUT_MS (1 s) for a silent instance. */
const DESCRIBE_BOUND_MS = 5_000;
const SKIP = (await serviceSkipReason('postgres')) ?? (await serviceSkipReason('redis'));

/** Devices per user hex, from a describeConnectedUsers answer. */
function deviceCounts(users: ConnectedUser[]): Record<string, number> {
  return Object.fromEntries(users.map((u) => [toHex(u.uid), u.devices.length]));
}

describe('gregord processes under faults (private Redis, PostgreSQL)', { skip: SKIP }, () => {
  let redis: PrivateRedisServer | undefined;
  let db: ScratchDatabase | undefined;
  let nodes: GregordProcess[] = [];
  const clients: TestClient[] = [];
  const devices: GregorClient[] = [];
  const connectors: RotatingConnector[] = [];
  const [user, other] = runUIDs(2) as [UID, UID];
  let written = 0;
  let writer: TestClient | undefined;

  const ports = (): number[] => nodes.map((n) => n.tcpPort);

  async function rpc(i: number, token: string): Promise<TestClient> {
    const client = await TestClient.tcp(nodes[i]!.tcpPort);
    clients.push(client);
    await client.login(token);
    return client;
  }

  /** A GregorClient of `user` that starts on instance `i` and moves on when it dies. */
  async function device(i: number): Promise<GregorClient> {
    const connector = rotatingConnector(ports, i);
    const client = new GregorClient({
      uid: user,
      token: mockTokenOf(user, `device-${i}`),
      connect: connector,
      reconnect: () => 100,
    });
    devices.push(client);
    connectors.push(connector);
    await client.start();
    return client;
  }

  /** Consume `count` more creations of `user` through `writer`, one after the other. */
  async function write(through: TestClient, count: number): Promise<void> {
    for (let k = 0; k < count; k++) {
      written++;
      await through.call('consumeMessage', { m: numberedCreation(user, 0, written) });
    }
  }

  /** The stored state hash of `user`, as `sync` answers it. */
  async function storedHash(su: TestClient): Promise<string> {
    return hex((await su.call('sync', { uid: user, deviceid: null, ctime: 0 })).hash);
  }

  async function converged(su: TestClient, what: string): Promise<void> {
    const stored = await storedHash(su);
    for (const [i, d] of devices.entries()) {
      await eventually(async () => hex(await d.stateHash()) === stored, {
        ...CLUSTER_WAIT,
        message: `${what}: device ${i} at the stored state`,
      });
    }
  }

  async function readyz(i: number): Promise<{ status: number; ready: unknown }> {
    const { status, body } = await httpGet(nodes[i]!.httpPort!, '/readyz');
    return { status, ready: JSON.parse(body) };
  }

  before(async () => {
    redis = await PrivateRedisServer.start();
    db = await createScratchDatabase('postgres');
    nodes = await GregordProcess.startMany(
      INSTANCES,
      { storage: db.url, redisUrl: redis.url },
      'faults-',
    );
  });
  after(async () => {
    await Promise.all(devices.splice(0).map((d) => d.close()));
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
    const alive = nodes.filter((n) => n.isAlive);
    await stopAll(nodes);
    await redis?.stop();
    await db?.drop();
    for (const node of alive) assert.equal(node.child.exitCode, 0, `${node.name}: ${node.stderr}`);
  });

  it('describeConnectedUsers answers for every process, and within its timeout while one is frozen', async () => {
    await Promise.all(nodes.map((_, i) => rpc(i, mockTokenOf(other, `other-${i}`))));
    const su = await rpc(0, SUPERUSER_TOKEN);
    const ask = () =>
      within(
        'describeConnectedUsers',
        DESCRIBE_BOUND_MS,
        su.call('describeConnectedUsers', {
          uids: [other, user],
        }),
      );
    assert.deepEqual(deviceCounts(await ask()), { [toHex(other)]: INSTANCES });
    nodes[2]!.pause();
    try {
      // The frozen instance got the question and never answers: the gather times out on it.
      assert.deepEqual(deviceCounts(await ask()), { [toHex(other)]: INSTANCES - 1 });
    } finally {
      nodes[2]!.resume();
    }
    assert.deepEqual(deviceCounts(await ask()), { [toHex(other)]: INSTANCES });
  });

  it('Redis killed mid-run and restarted: consumes keep being stored, /readyz follows the bus, devices resync and converge', async () => {
    const resyncs = [0, 0, 0];
    for (let i = 0; i < INSTANCES; i++) {
      const d = await device(i);
      d.on('resync', () => resyncs[i]!++);
    }
    writer = await rpc(0, mockTokenOf(user, 'writer'));
    const su = await rpc(1, SUPERUSER_TOKEN);
    await write(writer, 10);
    await converged(su, 'before the outage');
    for (let i = 0; i < INSTANCES; i++) assert.equal((await readyz(i)).status, 200);

    await redis!.kill();
    for (let i = 0; i < INSTANCES; i++) {
      await eventually(async () => (await readyz(i)).status === 503, {
        ...CLUSTER_WAIT,
        message: `instance ${i} not ready`,
      });
      assert.deepEqual((await readyz(i)).ready, { ready: false, storage: true, bus: false });
    }
    // Every consume is still answered and stored; only its publication fails.
    await write(writer, 10);
    const metrics = await httpGet(nodes[0]!.httpPort!, '/metrics');
    assert.match(metrics.body, /^gregor_bus_publish_failures_total [1-9]/m);
    assert.deepEqual(
      nodes.map((n) => n.isAlive),
      [true, true, true],
      'no instance crashed',
    );

    await redis!.restart();
    for (let i = 0; i < INSTANCES; i++) {
      await eventually(async () => (await readyz(i)).status === 200, {
        ...CLUSTER_WAIT,
        message: `instance ${i} ready again`,
      });
    }
    await eventually(() => resyncs.every((n) => n >= 1), {
      ...CLUSTER_WAIT,
      message: 'every device told to resync',
    });
    await write(writer, 5);
    await converged(su, 'after the restart');
    const state = await su.call('state', {
      uid: user,
      deviceid: null,
      timeOrOffset: { time: 0, offset: 0 },
    });
    assert.equal(state.items.length, written, 'every consume stored, outage or not');
  });

  it('an instance killed with SIGKILL: its device reconnects to another instance, syncs and converges', async () => {
    assert.ok(writer !== undefined, 'the writer of the previous test, on instance 0');
    const su = await rpc(1, SUPERUSER_TOKEN);
    const victim = nodes[2]!;
    assert.equal(connectors[2]!.port, victim.tcpPort);
    await victim.kill();
    await write(writer, 10);
    await eventually(
      () => {
        const port = connectors[2]!.port;
        return port !== victim.tcpPort && devices[2]!.currentStatus.type === 'connected';
      },
      { ...CLUSTER_WAIT, message: 'the device on the killed instance to move' },
    );
    await write(writer, 5);
    await converged(su, 'after the kill');
    const users = await within(
      'describeConnectedUsers',
      DESCRIBE_BOUND_MS,
      su.call('describeConnectedUsers', { uids: [user, other] }),
    );
    // The dead instance's connections are gone; the moved device is counted where it is now.
    assert.deepEqual(deviceCounts(users), {
      [toHex(user)]: INSTANCES + 1,
      [toHex(other)]: INSTANCES - 1,
    });
  });
});
