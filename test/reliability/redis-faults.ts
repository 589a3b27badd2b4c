/**
 * redis-faults: a Redis outage loses nothing and every device converges once Redis is back.
 *
 * Two gregord processes share a scratch PostgreSQL database and a PRIVATE redis-server (the
 * shared one on 6379 is never touched). User U has a writer on instance 0 (every acknowledged
 * consume recorded), a GregorClient device on each instance, and a watcher on instance 1. Each
 * cycle, with the writer consuming throughout: Redis is killed (SIGKILL); both instances must
 * report not-ready and stay up; after `--outage-sec` Redis is restarted on the same port; both
 * must be ready again, an out-of-band probe sent on instance 0 must reach the watcher on
 * instance 1 (cross-instance delivery resumed; the time is reported), and with the writer paused
 * both devices must reach the stored state (sync's hash). At the end every acknowledged message
 * is read back, and both gregords must stop cleanly.
 *
 *   node --import tsx test/reliability/redis-faults.ts [--cycles 10] [--outage-sec 2]
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GregorClient } from '../../packages/client/src/client/index.js';
import type { Message, UID } from '../../packages/client/src/protocol/index.js';
import { eventually } from '../helpers/eventually.js';
import { prng } from '../helpers/random.js';
import { serviceSkipReason } from '../helpers/services.js';
import { GregordProcess, httpGet, stopAll } from '../integration/helpers/gregord-process.js';
import {
  createScratchDatabase,
  hex,
  mockTokenOf,
  rotatingConnector,
  runUIDs,
  SUPERUSER_TOKEN,
  seqID,
} from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import { PrivateRedisServer } from '../unit/pubsub/private-redis-server.js';
import {
  failureCounts,
  reportLedgerTotals,
  UserLedger,
  verifyLedgers,
  writeWhile,
} from './acked-ledger.js';
import { loggedIn } from './live-checks.js';
import { numberFlag, type Report, runScenario } from './scenario.js';

/** Bounds of each wait of a cycle; past them the cycle fails (nothing waits forever). */
const READY_BOUND_MS = 30_000;
const DELIVERY_BOUND_MS = 15_000;
const CONVERGE_BOUND_MS = 20_000;

async function readyStatus(node: GregordProcess): Promise<number> {
  return (await httpGet(node.httpPort!, '/readyz').catch(() => ({ status: 0 }))).status;
}

async function allReady(
  nodes: readonly GregordProcess[],
  status: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  await eventually(
    async () => (await Promise.all(nodes.map(readyStatus))).every((s) => s === status),
    { timeoutMs: READY_BOUND_MS, intervalMs: 25, message: what },
  );
  return performance.now() - start;
}

/** Time until an out-of-band probe sent through `from` reaches `to` (resent every 500 ms). */
async function crossInstanceDelivery(
  from: TestClient,
  to: TestClient,
  uid: UID,
  tag: string,
): Promise<number> {
  const start = performance.now();
  const arrived = (): boolean => to.received.some((m: Message) => m.oobm?.system === tag);
  while (!arrived()) {
    if (performance.now() - start > DELIVERY_BOUND_MS) {
      throw new Error(`the probe ${tag} never reached the other instance`);
    }
    await from.call('consumeMessage', {
      m: { oobm: { uid, system: tag, body: new Uint8Array(1) } },
    });
    const sentAt = performance.now();
    while (!arrived() && performance.now() - sentAt < 500) await delay(20);
  }
  return performance.now() - start;
}

/** Numbers of the acknowledged creations of `ledger` that `device` lacks but `su` has stored. */
async function missingOn(
  device: GregorClient,
  su: TestClient,
  ledger: UserLedger,
): Promise<number[]> {
  const ids = (items: { md?: { msgID: Uint8Array } }[]): Set<string> =>
    new Set(items.map((it) => (it.md ? hex(it.md.msgID) : '')));
  const uid = ledger.uid;
  const local = ids((await device.stateMachineState(null, false)).items);
  const stored = ids(
    (await su.call('state', { uid, deviceid: null, timeOrOffset: { time: 0, offset: 0 } })).items,
  );
  return [...ledger.ackedCreations].filter((n) => {
    const id = hex(seqID(ledger.user, n));
    return stored.has(id) && !local.has(id);
  });
}

async function run(report: Report): Promise<void> {
  const cycles = numberFlag(report.flags, 'cycles', 10);
  const outageMs = numberFlag(report.flags, 'outage-sec', 2) * 1000;
  const redis = await PrivateRedisServer.start();
  const db = await createScratchDatabase('postgres');
  const devices: GregorClient[] = [];
  const clients: TestClient[] = [];
  let nodes: GregordProcess[] = [];
  try {
    nodes = await GregordProcess.startMany(
      2,
      { storage: db.url, redisUrl: redis.url },
      'redis-faults-',
    );
    const ports = (): number[] => nodes.map((n) => n.tcpPort);
    const [uid] = runUIDs(1) as [UID];
    const ledger = new UserLedger(uid, 0);
    const open = async (i: number, token: string): Promise<TestClient> => {
      const client = await loggedIn(nodes[i]!.tcpPort, token);
      clients.push(client);
      return client;
    };
    const writer = await open(0, mockTokenOf(uid, 'writer'));
    const prober = await open(0, mockTokenOf(uid, 'prober'));
    const watcher = await open(1, mockTokenOf(uid, 'watcher'));
    const su = await open(1, SUPERUSER_TOKEN);
    const resyncs = [0, 0];
    for (const i of [0, 1]) {
      const device = new GregorClient({
        uid,
        token: mockTokenOf(uid, `device-${i}`),
        connect: rotatingConnector(ports, i),
        reconnect: () => 100,
      });
      device.on('resync', () => resyncs[i]!++);
      devices.push(device);
      await device.start();
    }
    const rand = prng(7);
    const resumeMs: number[] = [];
    const marks = { restarted: 0, ready: 0 };
    const convergeMs: number[] = [];
    for (let cycle = 1; cycle <= cycles; cycle++) {
      let isWriting = true;
      const writing = writeWhile(writer, ledger, () => isWriting, rand, 0.2);
      await delay(200);
      await redis.kill();
      await allReady(nodes, 503, `cycle ${cycle}: both instances not ready without Redis`);
      await delay(outageMs);
      report.check(
        nodes.every((n) => n.isAlive),
        `cycle ${cycle}: an instance died while Redis was down`,
      );
      await redis.restart();
      marks.restarted = performance.now();
      await allReady(nodes, 200, `cycle ${cycle}: both instances ready again`);
      marks.ready = performance.now();
      resumeMs.push(await crossInstanceDelivery(prober, watcher, uid, `probe-${cycle}`));
      isWriting = false;
      await writing;
      const start = performance.now();
      const stored = hex((await su.call('sync', { uid, deviceid: null, ctime: 0 })).hash);
      for (const [i, device] of devices.entries()) {
        const isAtStored = async (): Promise<boolean> => hex(await device.stateHash()) === stored;
        while (!(await isAtStored()) && performance.now() - start < CONVERGE_BOUND_MS)
          await delay(25);
        if (!(await isAtStored())) {
          const missing = await missingOn(device, su, ledger);
          const when = missing
            .map(
              (n) =>
                `${n} acknowledged ${Math.round((ledger.ackedAtMs.get(n) ?? 0) - marks.restarted)} ms after the restart`,
            )
            .join(', ');
          report.check(
            false,
            `cycle ${cycle}: device ${i} (on instance ${i}) not at the stored state after ${CONVERGE_BOUND_MS} ms; missing creations ${when || '(none: extra or dismissed items)'}; instances ready ${Math.round(marks.ready - marks.restarted)} ms after the restart; resyncs ${resyncs}`,
          );
        }
      }
      convergeMs.push(performance.now() - start);
      report.log(
        `cycle ${cycle}/${cycles}: ${ledger.acked} acknowledged, resumed in ${Math.round(resumeMs.at(-1)!)} ms`,
      );
    }
    report.figure('cycles', cycles);
    report.figure('outage per cycle', outageMs, 'ms');
    report.figure(
      'cross-instance delivery resumed after ready, slowest',
      Math.round(Math.max(...resumeMs)),
      'ms',
    );
    report.figure(
      'devices converged after the writer paused, slowest',
      Math.round(Math.max(...convergeMs)),
      'ms',
    );
    report.figure('resync signals per device', resyncs.join(', '));
    report.figure('consumes refused', JSON.stringify(failureCounts([ledger])));
    report.check(
      resyncs.every((n) => n >= 1),
      `a device was never told to resync (${resyncs})`,
    );
    reportLedgerTotals(report, 'user U', await verifyLedgers(su, [ledger]));
  } finally {
    await Promise.all(devices.map((d) => d.close()));
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    const alive = nodes.filter((n) => n.isAlive);
    report.check(alive.length === nodes.length, 'an instance died');
    await stopAll(nodes);
    for (const node of alive) {
      report.check(node.child.exitCode === 0, `${node.name} did not stop cleanly: ${node.stderr}`);
    }
    await redis.stop();
    await db.drop();
  }
}

await runScenario({
  name: 'redis-faults',
  limitSec: (flags) =>
    120 + numberFlag(flags, 'cycles', 10) * (numberFlag(flags, 'outage-sec', 2) + 90),
  async run(report) {
    const skip = await serviceSkipReason('postgres');
    if (!report.check(skip === undefined, `${skip}`)) return;
    await run(report);
  },
});
