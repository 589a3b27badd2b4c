#!/usr/bin/env node
/**
 * `gregord`: parse argv (commander) → validate with the environment (zod, parseGregordConfig) →
 * start the server (startGregord) → wait for SIGTERM/SIGINT or, in child mode, the parent going
 * away (SIGHUP re-reads the API keys meanwhile) → close gracefully → exit. No logic of its own beyond mapping outcomes to the exit-code
 * table; every exit goes through the process log, so none waits on a log reader that is gone.
 */
import cluster from 'node:cluster';
import {
  type GregordConfig,
  parseGregordConfig,
  parseSwitch,
  type RunningGregord,
  startGregord,
} from '../daemon/internal.js';
import { runClusterPrimary } from './cluster-primary.js';
import { EXIT_CODE, exitCodeOf } from './exit-codes.js';
import { parseGregordArgs } from './gregord-command.js';
import { openProcessLog, type ProcessLog } from './process-log.js';
import { stopDeadlineMs, waitForShutdown } from './shutdown.js';

function isDebug(config: GregordConfig): boolean {
  return config.logLevel === 'debug' || config.logLevel === 'trace';
}

/** The message of `err` on one line. */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** SIGHUP: read the API keys file again; a bad file leaves the keys as they were. */
async function reloadApiKeys(running: RunningGregord, logger: ProcessLog['logger']): Promise<void> {
  if (running.config.api.keysFile === null) {
    logger.info({}, 'SIGHUP: no --api-keys-file to re-read');
    return;
  }
  try {
    const keys = await running.reloadApiKeys();
    logger.info({ keys }, 'SIGHUP: API keys re-read');
  } catch (err) {
    logger.error({ code: errorCode(err) }, `SIGHUP: API keys kept as they were: ${oneLine(err)}`);
  }
}

async function serve(config: GregordConfig, log: ProcessLog): Promise<number> {
  const { logger } = log;
  // A cluster worker leaves stdin and forcing to the primary: a Ctrl-C reaches the whole process
  // group, and the primary's relayed SIGTERM must not count as a second signal. (A worker whose
  // primary dies is ended by Node's cluster module when the IPC channel disconnects.)
  const stopping = waitForShutdown({
    isChildMode: config.childMode && !cluster.isWorker,
    onForce: (signal) => {
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      void log.exit(EXIT_CODE.forced);
    },
  });
  let running: RunningGregord;
  try {
    running = await startGregord(config, { logger });
  } catch (err) {
    const code = exitCodeOf(err);
    const message = oneLine(err);
    // The stack only with --debug: the one line says what failed and what to change.
    logger.fatal(
      isDebug(config) ? { err, exitCode: code } : { code: errorCode(err), exitCode: code },
      `gregord could not start: ${message}`,
    );
    process.stderr.write(`gregord: ${message} (exit ${code})\n`);
    return code;
  }
  const onHangUp = (): void => void reloadApiKeys(running, logger);
  process.on('SIGHUP', onHangUp);
  const reason = await stopping;
  process.off('SIGHUP', onHangUp);
  logger.info({ reason }, 'shutting down: finishing in-flight consumes');
  // A close that cannot finish (a database that never answers) must not keep the process alive.
  const deadlineMs = stopDeadlineMs(config.shutdownTimeoutMs);
  setTimeout(() => {
    logger.error({ deadlineMs }, 'shutdown did not finish in time; exiting');
    void log.exit(EXIT_CODE.forced);
  }, deadlineMs).unref();
  await running.close();
  return EXIT_CODE.ok;
}

async function main(): Promise<number> {
  const args = parseGregordArgs(process.argv.slice(2));
  if (args.kind === 'exit') return args.exitCode;
  let config: GregordConfig;
  try {
    config = parseGregordConfig({ flags: args.flags, env: process.env });
  } catch (err) {
    process.stderr.write(`gregord: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeOf(err);
  }
  const isPrimary = config.workers > 1 && cluster.isPrimary;
  const log = openProcessLog(config.logLevel, isPrimary ? 'gregord-primary' : 'gregord');
  // Exit explicitly: a driver's idle timer must not keep a stopped server's process alive.
  return log.exit(await (isPrimary ? runClusterPrimary(config, log) : serve(config, log)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A failure nobody foresaw: its stack helps, but only when asked for.
    const wantsStack = process.argv.includes('--debug') || parseSwitch(process.env.DEBUG ?? '');
    const text = err instanceof Error && wantsStack ? (err.stack ?? err.message) : oneLine(err);
    process.stderr.write(`gregord: ${text} (exit ${EXIT_CODE.badOption})\n`);
    process.exit(EXIT_CODE.badOption);
  },
);
