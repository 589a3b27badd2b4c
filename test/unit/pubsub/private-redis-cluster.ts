/**
 * A private, throw-away Redis Cluster: N masters and N replicas, each a PrivateRedisServer with
 * `--cluster-enabled yes` on a free loopback port, joined by `redis-cli --cluster create`. Tests
 * and benchmarks kill masters, move slots and fill it with channels, so it is never shared, and
 * `stop()` kills only the processes it started.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { freePort, PrivateRedisServer, REDIS_SERVER_BIN } from './private-redis-server.js';

const run = promisify(execFile);

/** Where the Debian package (redis-tools) installs the client. */
export const REDIS_CLI_BIN = process.env.GREGOR_TEST_REDIS_CLI ?? '/usr/bin/redis-cli';

const isCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `undefined` when redis-server and redis-cli are installed, else a skip reason (logged). Under
 * CI=true a missing binary throws: the cluster tests must run there.
 */
export function clusterSkipReason(): string | undefined {
  const missing = [REDIS_SERVER_BIN, REDIS_CLI_BIN].filter((bin) => !existsSync(bin));
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(' and ')} not installed`;
  if (isCI) throw new Error(`${reason} (CI=true: a missing service is a failure)`);
  console.log(`# SKIP ${reason}; install redis-server and redis-tools to run the cluster tests`);
  return reason;
}

/** Redis Cluster nodes also listen on their port + 10000, for the cluster bus. */
const BUS_PORT_OFFSET = 10_000;

/** Whether `port` can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Start one cluster node on a free port whose bus port is free too. Other tests start servers
 * at the same moment, so a port found free can be taken before redis-server binds it: try again
 * on another.
 */
async function startNode(args: string[]): Promise<PrivateRedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    if (port + BUS_PORT_OFFSET > 65_535 || !(await isFree(port + BUS_PORT_OFFSET))) continue;
    try {
      return await PrivateRedisServer.start(5000, { args, port });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError ?? new Error('no free port pair for a Redis Cluster node');
}

/** One line of CLUSTER NODES, the fields the tests use. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  readonly isMaster: boolean;
  readonly isFailed: boolean;
  /** Slot ranges served, as [first, last] pairs (masters only). */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

export interface PrivateRedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /**
   * `cluster-node-timeout`: how long a master may be unreachable before its replica takes over.
   * Small, so that a failover test stays short. @default 1000
   */
  nodeTimeoutMs?: number;
  /** How long to wait for the cluster to form. @default 20000 */
  timeoutMs?: number;
  /** Require this password of every client (and of replicas towards their master). */
  password?: string;
}

/** A cluster of `masters` masters with one replica each, on 127.0.0.1. */
export class PrivateRedisCluster {
  readonly servers: readonly PrivateRedisServer[];
  readonly #password: string | undefined;

  private constructor(servers: PrivateRedisServer[], password: string | undefined) {
    this.servers = servers;
    this.#password = password;
  }

  /** Start the servers, create the cluster and wait until every live node says cluster_state:ok. */
  static async start(options: PrivateRedisClusterOptions = {}): Promise<PrivateRedisCluster> {
    const { masters = 3, nodeTimeoutMs = 1000, timeoutMs = 20_000, password } = options;
    const auth =
      password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      // A replica whose master died long ago may still take over; the default factor (10) could
      // refuse a failover right after a test's replica resynced.
      '--cluster-replica-validity-factor',
      '0',
      ...auth,
    ];
    const started = await Promise.allSettled(
      Array.from({ length: masters * 2 }, () => startNode(args)),
    );
    const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const cluster = new PrivateRedisCluster(servers, password);
    try {
      const failed = started.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
      const cliAuth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
      await run(
        REDIS_CLI_BIN,
        [
          ...cliAuth,
          '--cluster',
          'create',
          ...addresses,
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: timeoutMs },
      );
      await cluster.waitUntilOk(timeoutMs);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** `127.0.0.1:<port>` of every node, for `--redis-cluster-nodes`. */
  get nodeAddresses(): string[] {
    return this.servers.map((server) => `127.0.0.1:${server.port}`);
  }

  /** The server listening on `port`. */
  server(port: number): PrivateRedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (server === undefined) throw new Error(`no cluster node on port ${port}`);
    return server;
  }

  /** Run one command on the node at `port` and return its reply. */
  async command(port: number, args: string[]): Promise<unknown> {
    const client = createClient({
      socket: { host: '127.0.0.1', port, reconnectStrategy: false },
      ...(this.#password === undefined ? {} : { password: this.#password }),
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  /** CLUSTER NODES as seen by a live node. */
  async nodes(): Promise<ClusterNodeInfo[]> {
    const live = this.servers.find((server) => server.isRunning);
    if (live === undefined) throw new Error('no cluster node is running');
    const text = String(await this.command(live.port, ['CLUSTER', 'NODES']));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', , , , , , ...slots] = line.split(' ');
        const port = Number(address.split('@')[0]?.split(':')[1]);
        return {
          id,
          port,
          isMaster: flags.split(',').includes('master'),
          isFailed: /\bfail\b/.test(flags),
          slots: slots
            .filter((s) => /^\d/.test(s))
            .map((s) => {
              const [first, last = first] = s.split('-').map(Number);
              return [first!, last!] as const;
            }),
        };
      });
  }

  /** The master serving `slot`, as CLUSTER NODES tells it. */
  async masterOf(slot: number): Promise<ClusterNodeInfo> {
    const master = (await this.nodes()).find(
      (node) =>
        node.isMaster && !node.isFailed && node.slots.some(([a, b]) => a <= slot && slot <= b),
    );
    if (master === undefined) throw new Error(`no live master serves slot ${slot}`);
    return master;
  }

  /** The slot of `key` (CLUSTER KEYSLOT, so the test does not trust the code under test). */
  async slotOf(key: string): Promise<number> {
    const live = this.servers.find((server) => server.isRunning);
    if (live === undefined) throw new Error('no cluster node is running');
    return Number(await this.command(live.port, ['CLUSTER', 'KEYSLOT', key]));
  }

  /**
   * Move `slot` to the master `toPort` the way `redis-cli --cluster reshard` does for one slot:
   * IMPORTING on the target, MIGRATING on the source, then SETSLOT NODE on both. The slot holds
   * no keys (the bus stores none), so there is nothing to MIGRATE.
   */
  async moveSlot(slot: number, toPort: number): Promise<void> {
    const nodes = await this.nodes();
    const from = await this.masterOf(slot);
    const to = nodes.find((node) => node.port === toPort);
    if (to === undefined) throw new Error(`no node on port ${toPort}`);
    const s = String(slot);
    await this.command(to.port, ['CLUSTER', 'SETSLOT', s, 'IMPORTING', from.id]);
    await this.command(from.port, ['CLUSTER', 'SETSLOT', s, 'MIGRATING', to.id]);
    await this.command(to.port, ['CLUSTER', 'SETSLOT', s, 'NODE', to.id]);
    await this.command(from.port, ['CLUSTER', 'SETSLOT', s, 'NODE', to.id]);
  }

  /** Wait until every running node reports cluster_state:ok and knows of no failed master. */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.#isOk()) return;
      if (Date.now() > deadline)
        throw new Error('the Redis cluster did not reach cluster_state:ok');
      await delay(50);
    }
  }

  async #isOk(): Promise<boolean> {
    try {
      for (const server of this.servers.filter((s) => s.isRunning)) {
        const info = String(await this.command(server.port, ['CLUSTER', 'INFO']));
        if (!info.includes('cluster_state:ok')) return false;
      }
      const masters = (await this.nodes()).filter((node) => node.isMaster && node.slots.length > 0);
      return masters.every((node) => !node.isFailed);
    } catch {
      return false;
    }
  }

  /** Kill every node and remove their directories. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }
}
