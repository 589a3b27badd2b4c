/**
 * database-faults: gregord survives its database being stopped and frozen.
 *
 * For each engine, a PRIVATE server (private-databases.ts; the shared ones are never touched)
 * and one gregord on it, with a writer (user W, every acknowledged consume recorded) and a
 * bystander (user B). Two faults, one after the other:
 * - stop: a clean fast shutdown of the server, restarted on the same port after `--fault-sec`;
 * - freeze: SIGSTOP of every server process, SIGCONT after `--fault-sec`.
 * While faulted: gregord stays up; the bystander's pings, a fresh connection's login and ping,
 * and `/healthz` answer; a consume is sent every 2 s and how it ends (error code and time, or
 * still pending) is reported; an error must be typed and about storage. After recovery: how long
 * until a consume succeeds again (bounded), then every acknowledged message of W is read back,
 * and again after a gregord restart; gregord must stop cleanly.
 *
 *   node --import tsx test/reliability/database-faults.ts [--engines postgres,mysql]
 *     [--fault-sec 10] [--recovery-sec 60]
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isGregorError } from '../../packages/client/src/errors.js';
import { prng } from '../helpers/random.js';
import { GregordProcess, httpGet } from '../integration/helpers/gregord-process.js';
import {
  mockTokenOf,
  runUIDs,
  SUPERUSER_TOKEN,
  within,
} from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import { reportLedgerTotals, UserLedger, verifyLedgers } from './acked-ledger.js';
import { loggedIn } from './live-checks.js';
import { PrivateDatabase, type PrivateDatabaseKind } from './private-databases.js';
import { numberFlag, type Report, runScenario } from './scenario.js';

/** A bystander's ping must be answered within this, whatever the database does. */
const PING_BOUND_MS = 5_000;
const PROBE_EVERY_MS = 2_000;

/** How one consume sent during a fault ended. */
interface Probe {
  sentAt: number;
  settledMs?: number;
  outcome?: string;
}

/** /readyz's status, or "no answer in 5 s": a finding to report, not a crash. */
async function readyzStatus(gregord: GregordProcess): Promise<string> {
  try {
    return String((await httpGet(gregord.httpPort!, '/readyz')).status);
  } catch {
    return 'no answer in 5 s';
  }
}

/** The consume probes of one fault, in flight or settled. */
class Probes {
  readonly all: Probe[] = [];
  readonly #writer: TestClient;
  readonly #ledger: UserLedger;
  readonly #rand = prng(1);

  constructor(writer: TestClient, ledger: UserLedger) {
    this.#writer = writer;
    this.#ledger = ledger;
  }

  send(): void {
    const probe: Probe = { sentAt: performance.now() };
    this.all.push(probe);
    const pending = this.#ledger.next(this.#rand);
    const settle = (outcome: string): void => {
      probe.settledMs = performance.now() - probe.sentAt;
      probe.outcome = outcome;
    };
    this.#writer.call('consumeMessage', { m: pending.m }).then(
      () => {
        pending.acknowledge();
        settle('acknowledged');
      },
      (err: unknown) => {
        this.#ledger.failed(err);
        settle(isGregorError(err) ? err.code : `untyped: ${String(err)}`);
      },
    );
  }

  get pending(): number {
    return this.all.filter((p) => p.outcome === undefined).length;
  }

  /** `outcome: count, max ms` for printing. */
  summary(): string {
    const by = new Map<string, number[]>();
    for (const p of this.all) {
      const key = p.outcome ?? 'still pending';
      const ms = p.settledMs ?? performance.now() - p.sentAt;
      by.set(key, [...(by.get(key) ?? []), ms]);
    }
    return [...by]
      .map(([k, ms]) => `${k} ×${ms.length} (max ${Math.round(Math.max(...ms))} ms)`)
      .join('; ');
  }
}

async function runFault(
  report: Report,
  what: string,
  db: PrivateDatabase,
  gregord: GregordProcess,
  clients: { writer: TestClient; bystander: TestClient },
  ledger: UserLedger,
): Promise<void> {
  const faultMs = numberFlag(report.flags, 'fault-sec', 10) * 1000;
  const recoveryMs = numberFlag(report.flags, 'recovery-sec', 60) * 1000;
  const label = `${db.kind} ${what}`;
  const probes = new Probes(clients.writer, ledger);
  if (what === 'stop') await db.stop();
  else db.freeze();
  report.log(`${label}: database ${what === 'stop' ? 'stopped' : 'frozen'}`);
  let maxPingMs = 0;
  let healthz = 0;
  const readyz = new Set<string>();
  let readyzInFlight: Promise<void> | undefined;
  const faultStart = performance.now();
  /** The consumes' outcomes when the fault ends, before the recovery. */
  let atEnd: string | undefined;
  try {
    const fresh = await within(
      `${label}: a new login`,
      PING_BOUND_MS,
      loggedIn(gregord.tcpPort, mockTokenOf(runUIDs(1)[0]!)),
    );
    await within(`${label}: the new connection's ping`, PING_BOUND_MS, fresh.call('ping', {}));
    await fresh.close();
    let nextProbe = 0;
    while (performance.now() - faultStart < faultMs) {
      if (performance.now() - faultStart >= nextProbe) {
        probes.send();
        nextProbe += PROBE_EVERY_MS;
      }
      const t = performance.now();
      await within(`${label}: bystander ping`, PING_BOUND_MS, clients.bystander.call('ping', {}));
      maxPingMs = Math.max(maxPingMs, performance.now() - t);
      if ((await httpGet(gregord.httpPort!, '/healthz')).status === 200) healthz++;
      else report.check(false, `${label}: /healthz did not answer 200`);
      // /readyz may hang on a frozen database: asked alongside, one at a time, never awaited here.
      readyzInFlight ??= readyzStatus(gregord).then((status) => {
        // An answer that comes only after the recovery says nothing about the fault.
        if (atEnd === undefined) readyz.add(status);
        readyzInFlight = undefined;
      });
      await delay(250);
    }
  } catch (err) {
    report.check(false, `${label}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    atEnd = probes.summary();
    if (what === 'stop') await db.restart();
    else db.thaw();
    await readyzInFlight;
  }
  report.check(gregord.isAlive, `${label}: gregord died during the fault: ${gregord.stderr}`);
  report.figure(`${label}: bystander ping, slowest`, Math.round(maxPingMs), 'ms');
  report.figure(`${label}: /healthz 200 answers`, healthz);
  report.figure(`${label}: /readyz answers seen`, [...readyz].join(', '));
  report.figure(`${label}: consumes during the fault (at its end)`, atEnd);

  // Recovery: how long until a consume succeeds again.
  const recoveryStart = performance.now();
  let recoveredMs: number | undefined;
  const rand = prng(2);
  while (performance.now() - recoveryStart < recoveryMs) {
    const pending = ledger.next(rand);
    try {
      await within('consume', recoveryMs, clients.writer.call('consumeMessage', { m: pending.m }));
      pending.acknowledge();
      recoveredMs = performance.now() - recoveryStart;
      break;
    } catch (err) {
      ledger.failed(err);
      await delay(100);
    }
  }
  report.figure(
    `${label}: first successful consume after recovery`,
    recoveredMs === undefined ? `none within ${recoveryMs} ms` : Math.round(recoveredMs),
    'ms',
  );
  report.check(
    recoveredMs !== undefined,
    `${label}: consumes did not succeed again within ${recoveryMs} ms`,
  );
  // Consumes sent during the fault settle now, or are reported as hanging.
  const settleDeadline = performance.now() + recoveryMs;
  while (probes.pending > 0 && performance.now() < settleDeadline) await delay(100);
  report.figure(`${label}: consumes during the fault (after recovery)`, probes.summary());
  const untyped = probes.all.filter((p) => p.outcome?.startsWith('untyped'));
  report.check(
    untyped.length === 0,
    `${label}: a consume failed with an untyped error: ${untyped[0]?.outcome}`,
  );
  const unclear = probes.all.filter(
    (p) =>
      p.outcome !== undefined &&
      p.outcome !== 'acknowledged' &&
      !/STORAGE|TIMEOUT|OVERLOADED|UNAVAILABLE/.test(p.outcome),
  );
  report.check(
    unclear.length === 0,
    `${label}: a consume failed with an error that is not about storage: ${unclear[0]?.outcome}`,
  );
  for (let i = 0; i < 20; i++) {
    const pending = ledger.next(rand);
    await clients.writer.call('consumeMessage', { m: pending.m });
    pending.acknowledge();
  }
}

async function runEngine(report: Report, kind: PrivateDatabaseKind): Promise<void> {
  const db = await PrivateDatabase.start(kind);
  let gregord: GregordProcess | undefined;
  try {
    report.log(`${kind}: private server on 127.0.0.1:${db.port} (${db.dir})`);
    gregord = await GregordProcess.start({ storage: db.url, name: `gregord-${kind}` });
    const [w, b] = runUIDs(2);
    const ledger = new UserLedger(w!, 0);
    const clients = {
      writer: await loggedIn(gregord.tcpPort, mockTokenOf(w!)),
      bystander: await loggedIn(gregord.tcpPort, mockTokenOf(b!)),
    };
    const rand = prng(3);
    for (let i = 0; i < 50; i++) {
      const pending = ledger.next(rand, 0.2);
      await clients.writer.call('consumeMessage', { m: pending.m });
      pending.acknowledge();
    }
    for (const what of ['stop', 'freeze']) {
      await runFault(report, what, db, gregord, clients, ledger);
    }
    const su = await loggedIn(gregord.tcpPort, SUPERUSER_TOKEN);
    reportLedgerTotals(report, `${kind} (same gregord)`, await verifyLedgers(su, [ledger]));
    await Promise.all([su, clients.writer, clients.bystander].map((c) => c.close()));
    report.check(gregord.isAlive, `${kind}: gregord died: ${gregord.stderr}`);
    const exitCode = await gregord.stop();
    report.check(exitCode === 0, `${kind}: gregord did not stop cleanly (exit ${exitCode})`);
    gregord = await GregordProcess.start({ storage: db.url, name: `gregord-${kind}-again` });
    const su2 = await loggedIn(gregord.tcpPort, SUPERUSER_TOKEN);
    reportLedgerTotals(
      report,
      `${kind} (after a gregord restart)`,
      await verifyLedgers(su2, [ledger]),
    );
    await su2.close();
  } finally {
    await gregord?.stop();
    await db.destroy();
  }
}

await runScenario({
  name: 'database-faults',
  limitSec: (flags) => {
    const faultSec = numberFlag(flags, 'fault-sec', 10);
    const recoverySec = numberFlag(flags, 'recovery-sec', 60);
    return 180 + 2 * 2 * (faultSec + 2 * recoverySec + 30);
  },
  async run(report) {
    const kinds = (report.flags.engines ?? 'postgres,mysql').split(',') as PrivateDatabaseKind[];
    for (const kind of kinds) {
      if (kind !== 'postgres' && kind !== 'mysql') throw new Error(`unknown engine ${kind}`);
      await runEngine(report, kind);
    }
  },
});
