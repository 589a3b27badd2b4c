/**
 * `--workers N`: the primary process of a Node cluster (the cores of one machine;
 * docs/scale-out.md). It forks N workers that each run a full gregord on the shared listeners,
 * relays SIGTERM/SIGINT (and stdin EOF in child mode) to them, and exits when they have all
 * stopped. A worker that stops on its own (a crash, or a failed start: exit 3 or 4) stops the
 * others too, and its exit code becomes the primary's: a supervisor restarts the whole unit.
 */
import cluster, { type Worker } from 'node:cluster';
import { CreatedPaths, type GregordConfig, loadOrCreateTokenSecret } from '../daemon/internal.js';
import { EXIT_CODE } from './exit-codes.js';
import type { ProcessLog } from './process-log.js';
import { stopDeadlineMs, waitForShutdown } from './shutdown.js';

/** Room after the workers' own deadline before the primary kills what is left of them, ms. */
const WORKER_KILL_GRACE_MS = 2000;

function exitOf(worker: Worker): Promise<number> {
  return new Promise((resolve) => {
    // Killed by a signal (no code) counts as a failure: a graceful stop exits 0 by itself.
    worker.once('exit', (code: number | null) => resolve(code ?? EXIT_CODE.badOption));
  });
}

/** Fork `config.workers` workers and supervise them; resolves with the exit code. */
export async function runClusterPrimary(config: GregordConfig, log: ProcessLog): Promise<number> {
  const { logger } = log;
  const created = new CreatedPaths();
  if (config.auth.mode === 'signed-token' && config.auth.secret === null) {
    // Create the secret before forking, so every worker reads the same one.
    try {
      await loadOrCreateTokenSecret(config.auth.secretFile, created);
    } catch (err) {
      const message = (err as Error).message;
      logger.fatal({ code: (err as { code?: unknown }).code }, message);
      process.stderr.write(`gregord: ${message} (exit ${EXIT_CODE.setup})\n`);
      return EXIT_CODE.setup;
    }
  }
  // A unit none of whose workers ever listened failed to start: it leaves no secret behind.
  let hasListened = false;
  cluster.once('listening', () => {
    hasListened = true;
  });
  const code = await superviseWorkers(config, log);
  if (code !== EXIT_CODE.ok && !hasListened) await created.removeAll();
  return code;
}

async function superviseWorkers(config: GregordConfig, log: ProcessLog): Promise<number> {
  const { logger } = log;
  const workers = Array.from({ length: config.workers }, () => cluster.fork());
  const exits = workers.map(exitOf);
  const stopping = waitForShutdown({
    isChildMode: config.childMode,
    onForce: () => {
      for (const worker of workers) worker.process.kill('SIGKILL');
      void log.exit(EXIT_CODE.forced);
    },
  });
  logger.info({ workers: workers.map((w) => w.process.pid) }, `started ${workers.length} workers`);
  // Each worker re-reads its API keys on SIGHUP; the primary only passes the signal on.
  const onHangUp = (): void => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGHUP');
  };
  process.on('SIGHUP', onHangUp);
  const first = await Promise.race([
    stopping.then((reason) => ({ reason, code: EXIT_CODE.ok as number })),
    ...exits.map((exit, i) => exit.then((code) => ({ reason: `worker ${i + 1} exited`, code }))),
  ]);
  logger.info({ reason: first.reason }, 'stopping the workers');
  for (const worker of workers) {
    if (!worker.isDead()) worker.process.kill('SIGTERM');
  }
  // Each worker bounds its own stop; a worker stuck past that is killed, so the unit still ends.
  const deadline = setTimeout(() => {
    logger.error({}, 'workers did not stop in time; killing them');
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }, stopDeadlineMs(config.shutdownTimeoutMs) + WORKER_KILL_GRACE_MS);
  deadline.unref();
  const codes = await Promise.all(exits);
  clearTimeout(deadline);
  process.off('SIGHUP', onHangUp);
  // A worker that stopped first decides the code; otherwise the worst of the graceful stops.
  return first.code !== EXIT_CODE.ok ? first.code : Math.max(EXIT_CODE.ok, ...codes);
}
