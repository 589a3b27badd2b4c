// `gregord --workers 2`: two worker processes (Node cluster) share one TCP port, one scratch
// PostgreSQL database and the shared Redis. cli-gregord.test.ts checks the shared port and the
// graceful stop; this checks the bus between the workers: a message consumed through a
// connection on one worker reaches the user's connections on the other, in consume order.
// Which worker took a connection is read from its debug log line ("connection accepted", pid).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UID } from '../../packages/client/src/protocol/index.js';
import { eventually } from '../helpers/eventually.js';
import { REDIS_URL, serviceSkipReason } from '../helpers/services.js';
import { GregordProcess } from './helpers/gregord-process.js';
import {
  createScratchDatabase,
  labelOf,
  mockTokenOf,
  numberedCreation,
  numberedOOB,
  runUIDs,
  type ScratchDatabase,
} from './helpers/scale-fixtures.js';
import { TestClient } from './helpers/test-client.js';

/** How `eventually` waits for gregord processes and their databases. */
const CLUSTER_WAIT = { timeoutMs: 15_000, intervalMs: 25 };

const WORKERS = 2;
const MESSAGES = 20;
const MAX_CONNECTIONS = 8;
const SKIP = (await serviceSkipReason('postgres')) ?? (await serviceSkipReason('redis'));
const ACCEPTED = /^connection accepted$/;

describe('gregord --workers 2 (one port, one bus)', { skip: SKIP }, () => {
  let db: ScratchDatabase | undefined;
  let gregord: GregordProcess | undefined;
  const clients: TestClient[] = [];

  before(async () => {
    db = await createScratchDatabase('postgres');
    gregord = await GregordProcess.start({
      storage: db.url,
      redisUrl: REDIS_URL,
      http: false,
      args: ['--workers', String(WORKERS), '--log-level', 'debug'],
    });
    const g = gregord;
    await eventually(() => g.logsMatching(/listening for framed msgpack-rpc/).length === WORKERS, {
      ...CLUSTER_WAIT,
      message: 'every worker listening',
    });
  });
  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
    const code = await gregord?.stop();
    await db?.drop();
    assert.equal(code, 0, gregord?.stderr);
  });

  /** Connect and log in as `uid`; resolves with the client and the pid of the worker it is on. */
  async function place(uid: UID, n: number): Promise<{ client: TestClient; pid: number }> {
    const g = gregord!;
    const seen = g.logsMatching(ACCEPTED).length;
    const client = await TestClient.tcp(g.tcpPort);
    clients.push(client);
    await client.login(mockTokenOf(uid, `device-${n}`));
    // Connections are made one at a time, so the next accept line is this one's.
    await eventually(() => g.logsMatching(ACCEPTED).length > seen, {
      ...CLUSTER_WAIT,
      message: 'the accept log line',
    });
    return { client, pid: g.logsMatching(ACCEPTED)[seen]!.pid! };
  }

  it('a message consumed through one worker reaches the devices on the other, in consume order', async () => {
    const [uid] = runUIDs(1) as [UID];
    const placed: { client: TestClient; pid: number }[] = [];
    // The primary hands connections to the workers in turn; connect until both hold one.
    while (new Set(placed.map((p) => p.pid)).size < WORKERS && placed.length < MAX_CONNECTIONS) {
      placed.push(await place(uid, placed.length));
    }
    const pids = new Set(placed.map((p) => p.pid));
    assert.equal(pids.size, WORKERS, `connections spread over the workers: ${[...pids]}`);
    const sender = placed[0]!;
    const elsewhere = placed.filter((p) => p.pid !== sender.pid);
    assert.ok(elsewhere.length > 0);

    const expected: string[] = [];
    for (let n = 1; n <= MESSAGES; n++) {
      const m = n % 4 === 0 ? numberedOOB(uid, n) : numberedCreation(uid, 0, n);
      expected.push(n % 4 === 0 ? `o${n}` : `i${n}`);
      await sender.client.call('consumeMessage', { m });
    }
    for (const { client, pid } of placed) {
      await client.waitForBroadcasts(MESSAGES, 10_000);
      assert.deepEqual(client.received.map(labelOf), expected, `device on worker ${pid}`);
    }
  });
});
