/**
 * fuzz-frames: hostile frames never take gregord down, never starve a well-behaved client, never
 * touch another user's data, and never grow memory without bound.
 *
 * One gregord (SQLite, default limits) gets `--frames` fuzzed frames from `--attackers`
 * concurrent attackers (frame-attacker.ts), half of whose connections log in first: the general
 * mix of test/fuzz/frame-generators.ts plus the hostile shapes of hostile-frames.ts (nested
 * array32/map32 headers claiming 16M elements, huge str/bin headers, gzip bombs in compressed
 * calls, frames that never finish). Each attacker has its own PRNG seeded from `--seed`, printed
 * first, so a run replays attacker by attacker. Throughout, the server's RSS is sampled
 * (/proc/<pid>/status) and a bystander pings. Afterwards: the server is up, the bystander's ping
 * and /healthz answer, the owner's stored state is unchanged, and the peak RSS is under
 * `--rss-limit-mib`. If the server dies, the input each attacker had in flight is printed.
 *
 *   node --import tsx test/reliability/fuzz-frames.ts [--frames 1000000] [--attackers 32]
 *     [--seed N] [--rss-limit-mib 512] [--hostile-share 0.3] [--settle-ms 250] [--hold-ms 1000]
 *     [--attack-sec S] [--gregord-src DIR]   (attack another checkout's gregord, e.g. /work/main)
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { toHex, type UID } from '../../packages/client/src/protocol/index.js';
import { GregordProcess, httpGet } from '../integration/helpers/gregord-process.js';
import {
  mockTokenOf,
  numberedCreation,
  runUIDs,
  within,
} from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import { AttackStats, FrameAttacker } from './frame-attacker.js';
import { bundleGregord } from './gregord-bundle.js';
import { loggedIn } from './live-checks.js';
import { ProcessSampler, peakRssKiB } from './process-sampler.js';
import { type Flags, numberFlag, type Report, runScenario, withTempDir } from './scenario.js';

/** gregord's default --max-frame-bytes (docs/configuration.md). */
const MAX_FRAME_BYTES = 16 << 20;
const PING_BOUND_MS = 5_000;

/**
 * How long the attack may last before it stops short of `--frames` (then reported and failed,
 * with every figure printed): `--attack-sec`, by default the frames at 150 a second (this
 * shared 2-core machine did 40–320 a second) plus a minute.
 */
function attackSeconds(flags: Flags): number {
  return numberFlag(flags, 'attack-sec', numberFlag(flags, 'frames', 1_000_000) / 150 + 60);
}

/** The bystander's pings through the run: how many, the slowest, the failures. */
class Pinger {
  count = 0;
  slowestMs = 0;
  readonly failures: string[] = [];
  #isRunning = true;
  readonly #done: Promise<void>;

  constructor(client: TestClient) {
    this.#done = (async () => {
      while (this.#isRunning) {
        const t = performance.now();
        try {
          await within('bystander ping', PING_BOUND_MS, client.call('ping', {}));
          this.count++;
          this.slowestMs = Math.max(this.slowestMs, performance.now() - t);
        } catch (err) {
          this.failures.push(err instanceof Error ? err.message : String(err));
          if (client.session.isClosed) return;
        }
        await delay(200);
      }
    })();
  }

  stop(): Promise<void> {
    this.#isRunning = false;
    return this.#done;
  }
}

async function storedHash(client: TestClient, uid: UID): Promise<string> {
  return toHex((await client.call('sync', { uid, deviceid: null, ctime: 0 })).hash);
}

async function run(report: Report, dir: string): Promise<void> {
  const flags = report.flags;
  const frames = numberFlag(flags, 'frames', 1_000_000);
  const attackers = numberFlag(flags, 'attackers', 32);
  const rssLimitMiB = numberFlag(flags, 'rss-limit-mib', 512);
  const seed = numberFlag(flags, 'seed', Math.floor(Math.random() * 2 ** 32));
  report.figure('seed', seed, `(attacker i uses seed + i; replay with --seed ${seed})`);
  // --gregord-src DIR: attack the gregord of another checkout (bundled from DIR/src, read only).
  const source = flags['gregord-src'];
  const bundle = source === undefined ? undefined : await bundleGregord(source);
  if (source !== undefined) report.figure('gregord source', source);
  const gregord = await GregordProcess.start({
    storage: `sqlite:${join(dir, 'gregor.db')}`,
    args: ['--data-dir', dir],
    name: 'gregord-fuzzed',
    script: bundle?.script,
  });
  const sampler = new ProcessSampler(gregord.child.pid!, 250);
  try {
    const [owner, bystander, attackerUid] = runUIDs(3) as [UID, UID, UID];
    const ownerClient = await loggedIn(gregord.tcpPort, mockTokenOf(owner));
    for (let n = 1; n <= 5; n++) {
      await ownerClient.call('consumeMessage', { m: numberedCreation(owner, 0, n) });
    }
    const before = await storedHash(ownerClient, owner);
    const pinger = new Pinger(await loggedIn(gregord.tcpPort, mockTokenOf(bystander)));
    const stats = new AttackStats();
    const options = {
      port: gregord.tcpPort,
      maxFrameBytes: MAX_FRAME_BYTES,
      hostileShare: numberFlag(flags, 'hostile-share', 0.3),
      loginShare: 0.5,
      token: mockTokenOf(attackerUid),
      settleMs: numberFlag(flags, 'settle-ms', 250),
      holdMs: numberFlag(flags, 'hold-ms', 1000),
    };
    const team = Array.from(
      { length: attackers },
      (_, i) => new FrameAttacker((seed + i) >>> 0, options, stats),
    );
    const start = performance.now();
    const attackEndMs = start + attackSeconds(flags) * 1000;
    const goOn = (): boolean =>
      stats.frames < frames && gregord.isAlive && performance.now() < attackEndMs;
    // gregord logs a warning per refused connection; GregordProcess keeps every line, so they
    // are counted and dropped here instead of piling up in this process.
    let logLines = 0;
    const dropLogs = (): void => {
      logLines += gregord.logs.splice(0).length;
    };
    const progress = setInterval(() => {
      dropLogs();
      const perSec = stats.frames / ((performance.now() - start) / 1000);
      report.log(
        `${stats.frames} frames (${perSec.toFixed(0)}/s), RSS ${((sampler.samples.at(-1)?.rssKiB ?? 0) / 1024).toFixed(0)} MiB`,
      );
    }, 15_000);
    await Promise.all(team.map((a) => a.run(goOn)));
    clearInterval(progress);
    dropLogs();
    const seconds = (performance.now() - start) / 1000;
    sampler.sample();
    const hwmKiB = peakRssKiB(gregord.child.pid!);

    report.figure('frames sent', stats.frames);
    report.figure('frames/s', stats.frames / seconds);
    report.figure('answered, connection kept', stats.answered);
    report.figure('connection closed by the server', stats.closedByServer);
    report.figure('left mid-message (no answer within settle-ms)', stats.stalled);
    report.figure('partial frames held then dropped', stats.held);
    report.figure('connections', stats.connections);
    report.figure('gregord log lines written', logLines);
    report.figure('inputs by kind', JSON.stringify(Object.fromEntries(stats.byKind)));
    report.figure('peak RSS (sampled every 250 ms)', (sampler.maxRssKiB / 1024).toFixed(0), 'MiB');
    if (hwmKiB !== undefined)
      report.figure('peak RSS (kernel VmHWM)', (hwmKiB / 1024).toFixed(0), 'MiB');
    report.figure('bystander pings answered', pinger.count);
    report.figure('bystander ping, slowest', Math.round(pinger.slowestMs), 'ms');

    if (!gregord.isAlive) {
      const exit = await gregord.exited;
      report.check(
        false,
        `gregord died (exit ${exit.code ?? exit.signal}) after ${stats.frames} frames; stderr: ${gregord.stderr.slice(-600)}`,
      );
      for (const a of team) {
        if (a.current === undefined) continue;
        const bytes = a.current.bytes;
        report.figure(
          `in flight, attacker seed ${a.seed}`,
          `${a.current.kind}, ${bytes.length} bytes: ${Buffer.from(bytes.subarray(0, 96)).toString('hex')}${bytes.length > 96 ? '…' : ''}`,
        );
      }
      await pinger.stop();
      return;
    }
    report.check(
      stats.frames >= frames,
      `only ${stats.frames} of ${frames} frames were sent within ${attackSeconds(flags).toFixed(0)} s`,
    );
    report.check(
      stats.malformedReplies === 0,
      `${stats.malformedReplies} replies were not well-formed frames`,
    );
    await pinger.stop();
    report.check(
      pinger.failures.length === 0,
      `bystander pings failed: ${pinger.failures.slice(0, 3).join('; ')}`,
    );
    const ping = await within('final ping', PING_BOUND_MS, ownerClient.call('ping', {}));
    report.check(ping === 'pong', `the final ping answered ${ping}`);
    report.check(
      (await httpGet(gregord.httpPort!, '/healthz')).status === 200,
      '/healthz did not answer 200',
    );
    report.check(
      (await storedHash(ownerClient, owner)) === before,
      "the owner's stored state changed",
    );
    const peakMiB = Math.max(sampler.maxRssKiB, hwmKiB ?? 0) / 1024;
    report.check(
      peakMiB < rssLimitMiB,
      `peak RSS ${peakMiB.toFixed(0)} MiB is over ${rssLimitMiB} MiB`,
    );
  } finally {
    sampler.stop();
    await gregord.stop();
    bundle?.remove();
  }
}

await runScenario({
  name: 'fuzz-frames',
  limitSec: (flags) => attackSeconds(flags) + 300,
  async run(report) {
    await withTempDir('gregor-fuzz-frames-', (dir) => run(report, dir));
  },
});
