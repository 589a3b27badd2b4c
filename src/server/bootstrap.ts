/**
 * From a GregordConfig to a running gregord: open the storage (memory, SQLite, PostgreSQL or
 * MySQL), the bus (in-process or Redis) and the authenticator, hand them to a GregorServer that
 * owns them, and listen. Each failure says which step failed, so the CLI can map it to its exit
 * code (gregor-protocol.md §6.8): GREGOR_ERR_SETUP_FAILED (3) for storage, bus or data directory,
 * GREGOR_ERR_LISTEN_FAILED (4) for an address that cannot be bound, GREGOR_ERR_CONFIG_INVALID (1)
 * for options the components refuse.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Logger, pino } from 'pino';
import { gregorError, isGregorError } from '../errors.js';
import { type Bus, InProcessBus, RedisBus } from '../pubsub/index.js';
import { type Clock, MemoryEngine, type StateMachine, systemClock } from '../state/index.js';
import { openSqlEngine } from '../storage/index.js';
import type { Authenticator } from './auth/index.js';
import {
  loadOrCreateTokenSecret,
  MockAuthenticator,
  RemoteAuthenticator,
  SignedTokenAuthenticator,
} from './auth/index.js';
import type { GregordConfig } from './config.js';
import { redact } from './config-values.js';
import { GregorServer, type ServerAddresses } from './server.js';

/** A started gregord. */
export interface RunningGregord {
  readonly server: GregorServer;
  /** What `listen()` bound (the real ports when 0 was asked). */
  readonly addresses: ServerAddresses;
  readonly config: GregordConfig;
  /**
   * Graceful stop: stop accepting, let in-flight consumes finish (up to the shutdown timeout),
   * close every connection, then the bus, the storage and the authenticator. Idempotent.
   */
  close(): Promise<void>;
}

/** Options of startGregord. */
export interface StartGregordOptions {
  /** Where logs go. @default pino on stdout at `config.logLevel` */
  logger?: Logger;
  /** Source of "now". @default systemClock */
  clock?: Clock;
}

function setupFailed(what: string, err: unknown): Error {
  const detail = err instanceof Error ? err.message : String(err);
  return gregorError('GREGOR_ERR_SETUP_FAILED', `${what}: ${detail}`, { cause: err });
}

async function closeQuietly(
  logger: Logger,
  ...components: ({ close(): Promise<void> } | undefined)[]
): Promise<void> {
  for (const component of components) {
    await component
      ?.close()
      .catch((err: unknown) => logger.warn({ err }, 'closing after a failed start'));
  }
}

async function openStorage(
  config: GregordConfig,
  clock: Clock,
  logger: Logger,
): Promise<StateMachine> {
  const { storage } = config;
  if (storage.kind === 'memory') return new MemoryEngine({ clock });
  const name = `storage ${redact(storage.url)}`;
  try {
    if (storage.kind === 'sqlite' && storage.path !== ':memory:') {
      await mkdir(dirname(storage.path), { recursive: true });
    }
    return await openSqlEngine(storage.url, {
      clock,
      maxQueuedMessages: config.limits.storageQueueSize,
      queryTimeoutMs: config.deadlines.storageQueryMs,
      onBackgroundError: (err) => logger.warn({ err }, 'storage background error'),
    });
  } catch (err) {
    if (isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID')) throw err;
    throw setupFailed(name, err);
  }
}

async function openBus(config: GregordConfig, logger: Logger): Promise<Bus> {
  const busLogger = { warn: logger.warn.bind(logger), error: logger.error.bind(logger) };
  if (config.redisUrl === null) return new InProcessBus({ logger: busLogger });
  try {
    return await RedisBus.connect({
      url: config.redisUrl,
      channelPrefix: config.redisChannelPrefix,
      logger: busLogger,
    });
  } catch (err) {
    if (isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID')) throw err;
    throw setupFailed(`pub/sub ${redact(config.redisUrl)}`, err);
  }
}

/** The authenticator the configuration names; for the embedded default, the secret file too. */
export async function openAuthenticator(
  config: GregordConfig,
  clock: Clock,
  logger: Logger,
): Promise<Authenticator> {
  const { auth } = config;
  const onListenerError = (err: unknown): void => logger.warn({ err }, 'a revoke listener threw');
  switch (auth.mode) {
    case 'mock':
      logger.warn(
        {},
        '--mock-auth: any token naming a uid logs in as that uid; for development only',
      );
      return new MockAuthenticator({ clock, onListenerError });
    case 'remote':
      return new RemoteAuthenticator({
        host: auth.server.host,
        port: auth.server.port,
        ...(auth.server.isTls ? { tls: auth.ca === null ? {} : { ca: auth.ca } } : {}),
        timeoutMs: auth.timeoutMs,
        superTokenRefreshIntervalMs: auth.superTokenRefreshIntervalMs,
        clock,
        logger,
      });
    case 'signed-token': {
      if (auth.secret !== null)
        return new SignedTokenAuthenticator({ secret: auth.secret, clock, onListenerError });
      let loaded: Awaited<ReturnType<typeof loadOrCreateTokenSecret>>;
      try {
        loaded = await loadOrCreateTokenSecret(auth.secretFile);
      } catch (err) {
        throw setupFailed('data directory', err);
      }
      if (loaded.isNew) logger.info({ path: auth.secretFile }, 'generated a token secret');
      if (loaded.isExposed)
        logger.warn(
          { path: auth.secretFile },
          'the token secret file is readable by others; chmod 600 it',
        );
      return new SignedTokenAuthenticator({ secret: loaded.secret, clock, onListenerError });
    }
  }
}

function logAddresses(config: GregordConfig, addresses: ServerAddresses, logger: Logger): void {
  const { tcp, http } = addresses;
  if (tcp !== undefined) {
    const scheme = config.tcp?.tls ? 'fmprpc+tls' : 'fmprpc';
    logger.info(
      { tcp, url: `${scheme}://${tcp.host}:${tcp.port}` },
      'listening for framed msgpack-rpc over TCP',
    );
  }
  if (http !== undefined) {
    const base = `http://${http.host}:${http.port}`;
    logger.info(
      {
        http,
        websocket: `ws://${http.host}:${http.port}/rpc`,
        metrics: `${base}/metrics`,
        health: `${base}/healthz`,
      },
      'listening for WebSocket and HTTP',
    );
  }
  if (config.auth.mode === 'signed-token' && config.auth.secret === null) {
    // The secret was generated here: say how to mint a token with it, and where to connect.
    const where = tcp === undefined ? '' : ` --address ${tcp.host}:${tcp.port}`;
    const start = config.isEmbeddedDefault
      ? `embedded default (SQLite at ${config.storage.url.slice('sqlite:'.length)}, in-process bus): `
      : '';
    logger.info(
      {
        secretFile: config.auth.secretFile,
        mintToken: `npx gregor token --uid <32 hex digits> --data-dir ${config.dataDir}`,
        ping: `npx gregor ping${where}`,
      },
      `${start}mint a session token with \`gregor token\``,
    );
  }
}

/** The quota parts given to gregord; the server sizes the others to the frame. */
function stripUndefinedQuota(limits: GregordConfig['limits']): {
  maxItemsPerUser?: number;
  maxBytesPerUser?: number;
} {
  return {
    ...(limits.maxItemsPerUser === undefined ? {} : { maxItemsPerUser: limits.maxItemsPerUser }),
    ...(limits.maxBytesPerUser === undefined ? {} : { maxBytesPerUser: limits.maxBytesPerUser }),
  };
}

/**
 * Open every component `config` names and start a GregorServer on them. Rejects with
 * GREGOR_ERR_SETUP_FAILED, GREGOR_ERR_LISTEN_FAILED or GREGOR_ERR_CONFIG_INVALID; whatever was
 * opened is closed again first.
 */
export async function startGregord(
  config: GregordConfig,
  options: StartGregordOptions = {},
): Promise<RunningGregord> {
  const logger = options.logger ?? pino({ level: config.logLevel, name: 'gregord' });
  const clock = options.clock ?? systemClock;
  const authenticator = await openAuthenticator(config, clock, logger);
  let stateMachine: StateMachine | undefined;
  let bus: Bus | undefined;
  let server: GregorServer;
  try {
    stateMachine = await openStorage(config, clock, logger);
    bus = await openBus(config, logger);
    server = new GregorServer({
      stateMachine,
      bus,
      authenticator,
      clock,
      listen: {
        ...(config.tcp === null
          ? {}
          : {
              tcp: {
                host: config.tcp.host,
                port: config.tcp.port,
                ...(config.tcp.tls ? { tls: config.tcp.tls } : {}),
              },
            }),
        ...(config.http === null
          ? {}
          : { http: { host: config.http.host, port: config.http.port } }),
      },
      consumeLimits: { maxBodyBytes: config.limits.maxBodyBytes },
      rpcLimits: {
        maxFrameBytes: config.limits.maxFrameBytes,
        maxConcurrentCalls: config.limits.maxConcurrentCalls,
        maxWriteBufferBytes: config.limits.maxWriteBufferBytes,
        frameReadTimeoutMs: config.deadlines.frameReadMs,
      },
      maxQueuedPerUser: config.limits.maxQueuedPerUser,
      maxConnectionsPerUser: config.limits.maxConnectionsPerUser,
      maxConnectionsPerAddress: config.limits.maxConnectionsPerAddress,
      ...stripUndefinedQuota(config.limits),
      maxReadsPerConnection: config.limits.maxReadsPerConnection,
      maxReadsPerUser: config.limits.maxReadsPerUser,
      broadcastTimeoutMs: config.broadcastTimeoutMs,
      authTimeoutMs: config.authTimeoutMs,
      loginTimeoutMs: config.loginTimeoutMs,
      maxLoginFrameBytes: config.limits.maxLoginFrameBytes,
      drainTimeoutMs: config.shutdownTimeoutMs,
      logger,
      owns: { stateMachine: true, bus: true, authenticator: true },
    });
  } catch (err) {
    await closeQuietly(logger, bus, stateMachine, authenticator);
    throw err;
  }
  // listen() closes the server, and so everything it owns, when it fails.
  const addresses = await server.listen();
  logAddresses(config, addresses, logger);
  return { server, addresses, config, close: () => server.close() };
}
