#!/usr/bin/env node
/**
 * `gregord`: parse argv (commander) → validate with the environment (zod, parseGregordConfig) →
 * start the server (startGregord) → wait for SIGTERM/SIGINT or, in child mode, stdin EOF → close
 * gracefully → exit. No logic of its own beyond mapping outcomes to the exit-code table.
 */
import cluster from 'node:cluster';
import { pino } from 'pino';
import {
  type GregordConfig,
  parseGregordConfig,
  parseSwitch,
  startGregord,
} from '../server/index.js';
import { runClusterPrimary } from './cluster-primary.js';
import { EXIT_CODE, exitCodeOf } from './exit-codes.js';
import { parseGregordArgs } from './gregord-command.js';
import { waitForShutdown } from './shutdown.js';

/** Room after the drain timeout for closing sockets, the bus and the storage, ms. */
const CLOSE_GRACE_MS = 5000;

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

async function serve(config: GregordConfig): Promise<number> {
  const logger = pino({ level: config.logLevel, name: 'gregord' });
  // A cluster worker leaves stdin and forcing to the primary: a Ctrl-C reaches the whole process
  // group, and the primary's relayed SIGTERM must not count as a second signal.
  const stopping = waitForShutdown({
    isChildMode: config.childMode && !cluster.isWorker,
    onForce: (signal) => {
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(EXIT_CODE.badOption);
    },
  });
  let running: Awaited<ReturnType<typeof startGregord>>;
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
  const reason = await stopping;
  logger.info({ reason }, 'shutting down: finishing in-flight consumes');
  // A close that cannot finish (a database that never answers) must not keep the process alive.
  setTimeout(() => {
    logger.error({}, 'shutdown did not finish in time; exiting');
    process.exit(EXIT_CODE.badOption);
  }, config.shutdownTimeoutMs + CLOSE_GRACE_MS).unref();
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
  if (config.workers > 1 && cluster.isPrimary) return runClusterPrimary(config);
  return serve(config);
}

// Exit explicitly: a driver's idle timer must not keep a stopped server's process alive.
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
