/**
 * sigkill-loop: no acknowledged message is lost when gregord is killed (SIGKILL) at a random
 * moment, on each storage engine.
 *
 * Per engine, on a fresh database (a SQLite file in a temp dir, or a scratch PostgreSQL / MariaDB
 * database on the shared servers, dropped at the end), each cycle: start a gregord process; check
 * the previous cycle's users (written before the last kill) through `state` and `sync`; log in
 * fresh users whose writers consume creations and dismissals concurrently, recording every
 * acknowledged consume; SIGKILL gregord after a random delay. After the last cycle a final
 * gregord re-checks every user of the run and must stop cleanly on SIGTERM.
 *
 *   node --import tsx test/reliability/sigkill-loop.ts [--cycles 100] [--engines sqlite,postgres,mysql]
 *     [--users 4] [--window 2] [--min-kill-ms 100] [--max-kill-ms 800] [--seed N] [--tsx]
 *
 * gregord runs from a bundle of its source (gregord-bundle.ts), which starts about twice as fast
 * as through tsx; `--tsx` runs src/cli/gregord.ts through tsx instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { prng } from '../helpers/random.js';
import { serviceSkipReason } from '../helpers/services.js';
import { GregordProcess } from '../integration/helpers/gregord-process.js';
import {
  createScratchDatabase,
  mockTokenOf,
  runUIDs,
  SUPERUSER_TOKEN,
} from '../integration/helpers/scale-fixtures.js';
import { TestClient } from '../integration/helpers/test-client.js';
import {
  failureCounts,
  type LedgerTotals,
  reportLedgerTotals,
  UserLedger,
  verifyLedgers,
  writeWhile,
} from './acked-ledger.js';
import { bundleGregord } from './gregord-bundle.js';
import { numberFlag, type Report, runScenario } from './scenario.js';

const ENGINES = ['sqlite', 'postgres', 'mysql'] as const;
type Engine = (typeof ENGINES)[number];

/** A fresh store for one engine's run, and how to remove it. */
interface Store {
  storage: string;
  args: string[];
  remove(): Promise<void>;
}

/** How every gregord of the run is started. */
interface Launch {
  script: string | undefined;
}

async function freshStore(engine: Engine): Promise<Store> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-sigkill-'));
    return {
      storage: `sqlite:${join(dir, 'gregor.db')}`,
      args: ['--data-dir', dir],
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await createScratchDatabase(engine);
  return { storage: db.url, args: [], remove: () => db.drop() };
}

async function superuserOf(gregord: GregordProcess): Promise<TestClient> {
  const su = await TestClient.tcp(gregord.tcpPort);
  await su.login(SUPERUSER_TOKEN);
  return su;
}

function addTotals(into: LedgerTotals, more: LedgerTotals): void {
  into.users += more.users;
  into.acked += more.acked;
  into.lost.push(...more.lost);
  into.resurrected.push(...more.resurrected);
  into.hashMismatches += more.hashMismatches;
}

let nextUser = 0;

async function runEngine(
  report: Report,
  engine: Engine,
  rand: () => number,
  launch: Launch,
): Promise<void> {
  const flags = report.flags;
  const cycles = numberFlag(flags, 'cycles', 100);
  const users = numberFlag(flags, 'users', 4);
  const window = numberFlag(flags, 'window', 2);
  const minKillMs = numberFlag(flags, 'min-kill-ms', 100);
  const maxKillMs = numberFlag(flags, 'max-kill-ms', 800);
  const store = await freshStore(engine);
  const every: UserLedger[] = [];
  const afterRestart: LedgerTotals = {
    users: 0,
    acked: 0,
    lost: [],
    resurrected: [],
    hashMismatches: 0,
  };
  let previous: UserLedger[] = [];
  const start = performance.now();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const gregord = await GregordProcess.start({
        storage: store.storage,
        args: store.args,
        http: false,
        name: `${engine}-${cycle}`,
        script: launch.script,
      });
      try {
        const su = await superuserOf(gregord);
        addTotals(afterRestart, await verifyLedgers(su, previous));
        const ledgers = runUIDs(users).map((uid) => new UserLedger(uid, nextUser++));
        const clients = await Promise.all(
          ledgers.map(async (l) => {
            const client = await TestClient.tcp(gregord.tcpPort);
            await client.login(mockTokenOf(l.uid));
            return client;
          }),
        );
        let isRunning = true;
        const writers = ledgers.flatMap((l, i) =>
          Array.from({ length: window }, () =>
            writeWhile(clients[i]!, l, () => isRunning, rand, 0.2),
          ),
        );
        await delay(minKillMs + rand() * (maxKillMs - minKillMs));
        await gregord.kill();
        isRunning = false;
        await Promise.all(writers);
        await Promise.all([su, ...clients].map((c) => c.close().catch(() => {})));
        previous = ledgers;
        every.push(...ledgers);
        if (cycle % 10 === 0 || cycle === cycles) {
          const acked = every.reduce((n, l) => n + l.acked, 0);
          report.log(
            `${engine}: cycle ${cycle}/${cycles}, ${acked} acknowledged so far, ${afterRestart.lost.length} lost`,
          );
        }
      } finally {
        await gregord.kill();
      }
    }
    const cycleSec = (performance.now() - start) / 1000 / cycles;
    // A last gregord re-reads every user of the run, then must stop cleanly.
    const last = await GregordProcess.start({
      storage: store.storage,
      args: store.args,
      http: false,
      script: launch.script,
    });
    const su = await superuserOf(last);
    addTotals(afterRestart, await verifyLedgers(su, previous));
    const final = await verifyLedgers(su, every);
    await su.close();
    const exitCode = await last.stop();
    report.figure(`${engine}: cycles`, cycles);
    report.figure(`${engine}: mean cycle`, cycleSec, 's');
    report.figure(`${engine}: consumes refused or cut off`, JSON.stringify(failureCounts(every)));
    reportLedgerTotals(report, `${engine} (each cycle, after its restart)`, afterRestart);
    reportLedgerTotals(report, `${engine} (every user, at the end)`, final);
    report.check(
      final.acked > cycles,
      `${engine}: too few acknowledged consumes (${final.acked}) to mean anything`,
    );
    report.check(
      exitCode === 0,
      `${engine}: the last gregord did not stop cleanly (exit ${exitCode})`,
    );
  } finally {
    await store.remove();
  }
}

await runScenario({
  name: 'sigkill-loop',
  limitSec: (flags) => {
    const engines = (flags.engines ?? ENGINES.join(',')).split(',').length;
    return 120 + engines * numberFlag(flags, 'cycles', 100) * 15;
  },
  async run(report) {
    const seed = numberFlag(report.flags, 'seed', Math.floor(Math.random() * 2 ** 32));
    report.figure('seed', seed, `(replay the kill moments with --seed ${seed})`);
    const rand = prng(seed);
    const engines = (report.flags.engines ?? ENGINES.join(',')).split(',') as Engine[];
    const bundle = report.flags.tsx === undefined ? await bundleGregord() : undefined;
    try {
      for (const engine of engines) {
        if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}`);
        if (engine !== 'sqlite') {
          const skip = await serviceSkipReason(engine);
          if (report.check(skip === undefined, `${engine}: ${skip}`) === false) continue;
        }
        report.log(`${engine}: starting`);
        await runEngine(report, engine, rand, { script: bundle?.script });
      }
    } finally {
      bundle?.remove();
    }
  },
});
