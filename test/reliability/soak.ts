/**
 * soak: at half its measured peak, gregord's memory and file descriptors stay flat and nothing
 * acknowledged is lost.
 *
 * One gregord (SQLite), `--users` users each with a sender connection and a GregorClient device.
 * First a ramp measures the peak: every user keeps 1, 2, 4, … messages in flight (half in-band
 * creations and dismissals, half out-of-band) for `--ramp-sec` each, until the rate stops
 * growing. Then `--minutes` at half that rate, sampling the server's RSS and open fds every
 * `--sample-sec`. Reported: the least-squares slope of each after the warm-up (the first
 * `--warmup-sec`), in KiB/min and fds/min, and of RSS's per-minute floor. Fails when:
 * - RSS's per-minute floor grows faster than `--max-rss-slope-kib` KiB/min (default 2048: a
 *   leak of 1 KiB per consume at 500 consumes/s would be 30 MiB/min, fifteen times that),
 * - fds grow faster than `--max-fd-slope` per minute (default 1), or end more than 5 above
 *   where the soak started,
 * - the server falls behind (more than 1 % of the sends skipped at the in-flight bound) or
 *   refuses a consume (a sender the server closed as a slow reader is reopened and counted),
 * - a device does not reach the stored state afterwards, or an acknowledged message is lost.
 *
 *   node --import tsx test/reliability/soak.ts [--minutes 10] [--users 50] [--ramp-sec 3]
 *     [--sample-sec 5] [--warmup-sec 60] [--max-rss-slope-kib 2048] [--max-fd-slope 1]
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GregorClient } from '../../packages/client/src/client/index.js';
import { prng } from '../helpers/random.js';
import { GregordProcess } from '../integration/helpers/gregord-process.js';
import {
  hex,
  mockTokenOf,
  rotatingConnector,
  runUIDs,
  SUPERUSER_TOKEN,
} from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import { failureCounts, reportLedgerTotals, UserLedger, verifyLedgers } from './acked-ledger.js';
import { loggedIn } from './live-checks.js';
import { type LoadUser, MixedLoad } from './mixed-load.js';
import { ProcessSampler, type Sample, slope } from './process-sampler.js';
import { numberFlag, type Report, runScenario, withTempDir } from './scenario.js';

const MAX_IN_FLIGHT = 2_000;
const CONVERGE_BOUND_MS = 60_000;

/**
 * The lowest RSS of each minute of samples, at that minute's middle. The heap's sawtooth (tens of
 * MiB between collections) makes the slope of every sample noisy over ten minutes; a leak raises
 * the floor the collector comes back to, so the floor's slope is what the check bounds.
 */
function minuteFloors(samples: readonly Sample[]): Sample[] {
  const byMinute = new Map<number, Sample>();
  for (const s of samples) {
    const minute = Math.floor(s.atSec / 60);
    const low = byMinute.get(minute);
    if (low === undefined || s.rssKiB < low.rssKiB) byMinute.set(minute, s);
  }
  return [...byMinute.entries()].map(([minute, low]) => ({ ...low, atSec: minute * 60 + 30 }));
}

/** Closed-loop rates at growing windows; the best one is the peak. */
async function measurePeak(report: Report, load: MixedLoad, rampMs: number): Promise<number> {
  let peak = 0;
  for (const window of [1, 2, 4, 8, 16, 32, 64]) {
    const counts = await load.closedLoop(window, rampMs);
    const rate = counts.acked / counts.seconds;
    report.figure(`ramp, ${window} in flight per user`, rate, 'messages/s');
    if (rate < peak * 1.05) break;
    peak = rate;
  }
  return Math.max(peak, 1);
}

async function run(report: Report, dir: string): Promise<void> {
  const flags = report.flags;
  const minutes = numberFlag(flags, 'minutes', 10);
  const userCount = numberFlag(flags, 'users', 50);
  const sampleMs = numberFlag(flags, 'sample-sec', 5) * 1000;
  const warmupSec = numberFlag(flags, 'warmup-sec', Math.min(60, minutes * 12));
  const maxRssSlope = numberFlag(flags, 'max-rss-slope-kib', 2048);
  const maxFdSlope = numberFlag(flags, 'max-fd-slope', 1);
  const gregord = await GregordProcess.start({
    storage: `sqlite:${join(dir, 'gregor.db')}`,
    args: ['--data-dir', dir],
    name: 'gregord-soak',
  });
  const clients: TestClient[] = [];
  const devices: GregorClient[] = [];
  try {
    const users: LoadUser[] = [];
    for (const [i, uid] of runUIDs(userCount).entries()) {
      const openSender = async (): Promise<TestClient> => {
        const sender = await loggedIn(gregord.tcpPort, mockTokenOf(uid, 'sender'));
        clients.push(sender);
        return sender;
      };
      users.push({
        sender: await openSender(),
        ledger: new UserLedger(uid, i),
        reopen: openSender,
      });
      const device = new GregorClient({
        uid,
        token: mockTokenOf(uid, 'device'),
        connect: rotatingConnector(() => [gregord.tcpPort]),
        reconnect: () => 200,
      });
      devices.push(device);
      await device.start();
    }
    const load = new MixedLoad(users, prng(11));
    const peak = await measurePeak(report, load, numberFlag(flags, 'ramp-sec', 3) * 1000);
    const rate = peak / 2;
    report.figure('peak', peak, 'messages/s');
    report.figure('soak rate (half the peak)', rate, 'messages/s');
    report.figure('connections', userCount * 2);

    const sampler = new ProcessSampler(gregord.child.pid!, sampleMs);
    const progress = setInterval(() => {
      const last = sampler.samples.at(-1);
      if (last)
        report.log(
          `RSS ${(last.rssKiB / 1024).toFixed(1)} MiB, ${last.fds} fds, ${load.inFlight} in flight`,
        );
    }, 60_000);
    const counts = await load.paced(rate, minutes * 60_000, MAX_IN_FLIGHT);
    clearInterval(progress);
    sampler.sample();
    sampler.stop();

    const steady = sampler.samples.filter((s) => s.atSec >= warmupSec);
    const perMin = (points: { x: number; y: number }[]): number => slope(points) * 60;
    const rssSlope = perMin(steady.map((s) => ({ x: s.atSec, y: s.rssKiB })));
    const floors = minuteFloors(steady);
    const floorSlope = perMin(floors.map((f) => ({ x: f.atSec, y: f.rssKiB })));
    const fdSlope = perMin(steady.map((s) => ({ x: s.atSec, y: s.fds })));
    const first = steady[0] ?? sampler.samples[0]!;
    const last = sampler.samples.at(-1)!;
    report.figure(
      'soak',
      `${counts.seconds.toFixed(0)} s, ${counts.sent} sent, ${counts.acked} acknowledged, ${counts.errors} failed, ${counts.skipped} skipped`,
    );
    report.figure('achieved rate', counts.acked / counts.seconds, 'messages/s');
    report.figure('samples (after warm-up)', `${sampler.samples.length} (${steady.length})`);
    report.figure(
      'RSS after warm-up -> end',
      `${(first.rssKiB / 1024).toFixed(1)} -> ${(last.rssKiB / 1024).toFixed(1)}`,
      'MiB',
    );
    report.figure('RSS max', (sampler.maxRssKiB / 1024).toFixed(1), 'MiB');
    report.figure('RSS slope (every sample)', rssSlope, 'KiB/min');
    report.figure(
      'RSS per-minute floors',
      floors.map((f) => (f.rssKiB / 1024).toFixed(0)).join(' '),
      'MiB',
    );
    report.figure('RSS slope (per-minute floors)', floorSlope, 'KiB/min');
    report.figure('open fds after warm-up -> end', `${first.fds} -> ${last.fds}`);
    report.figure('open fds slope', fdSlope, 'fds/min');
    report.figure('consumes refused', JSON.stringify(failureCounts(users.map((u) => u.ledger))));
    report.check(
      steady.length >= 5,
      `too few samples after the warm-up (${steady.length}) for a slope`,
    );
    report.check(
      floorSlope <= maxRssSlope,
      `RSS's per-minute floor grows ${floorSlope.toFixed(0)} KiB/min (bound ${maxRssSlope})`,
    );
    report.check(
      fdSlope <= maxFdSlope,
      `open fds grow ${fdSlope.toFixed(2)}/min (bound ${maxFdSlope})`,
    );
    report.check(last.fds <= first.fds + 5, `open fds went from ${first.fds} to ${last.fds}`);
    report.figure('senders closed by the server and reopened', load.reopened);
    report.check(
      counts.skipped <= counts.sent / 100,
      `the server fell behind half its peak: ${counts.skipped} sends skipped (bound: 1 % of ${counts.sent})`,
    );
    // A consume cut off when the server closed a slow sender (GREGOR_ERR_CLOSED) is the
    // slow-reader rule at work; any other refusal is a failure.
    const refused = Object.entries(failureCounts(users.map((u) => u.ledger))).filter(
      ([code]) => code !== 'GREGOR_ERR_CLOSED',
    );
    report.check(
      refused.length === 0,
      `consumes refused at half the peak: ${JSON.stringify(refused)}`,
    );
    report.check(gregord.isAlive, `gregord died: ${gregord.stderr}`);

    const su = await loggedIn(gregord.tcpPort, SUPERUSER_TOKEN);
    clients.push(su);
    const start = performance.now();
    let behind = 0;
    for (const [i, device] of devices.entries()) {
      const uid = users[i]!.ledger.uid;
      const stored = hex((await su.call('sync', { uid, deviceid: null, ctime: 0 })).hash);
      const isAtStored = async (): Promise<boolean> => hex(await device.stateHash()) === stored;
      while (!(await isAtStored()) && performance.now() - start < CONVERGE_BOUND_MS)
        await delay(50);
      if (!(await isAtStored())) behind++;
    }
    report.figure(
      'devices at the stored state afterwards',
      `${devices.length - behind} of ${devices.length}`,
    );
    report.check(behind === 0, `${behind} devices did not reach the stored state`);
    reportLedgerTotals(
      report,
      'every user',
      await verifyLedgers(
        su,
        users.map((u) => u.ledger),
      ),
    );
  } finally {
    await Promise.all(devices.map((d) => d.close()));
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    const code = await gregord.stop();
    report.check(code === 0, `gregord did not stop cleanly (exit ${code})`);
  }
}

await runScenario({
  name: 'soak',
  limitSec: (flags) => 600 + numberFlag(flags, 'minutes', 10) * 60,
  async run(report) {
    await withTempDir('gregor-soak-', (dir) => run(report, dir));
  },
});
