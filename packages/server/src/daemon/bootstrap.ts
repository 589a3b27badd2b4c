/**
 * From a GregordConfig to a running gregord: open the storage (memory, SQLite, PostgreSQL or
 * MySQL), the bus (in-process or Redis) and the authenticator, hand them to a GregorServer that
 * owns them, and listen. Each failure says which step failed, so the CLI can map it to its exit
 * code (docs/configuration.md, "Exit codes"): GREGOR_ERR_SETUP_FAILED (3) for storage, bus or data
 * directory, GREGOR_ERR_LISTEN_FAILED (4) for an address that cannot be bound,
 * GREGOR_ERR_CONFIG_INVALID (1) for options the components refuse. Every message is one line
 * (startup-error.ts) naming the cause and the option to fix, and a failed start removes the files
 * it created (created-paths.ts).
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { gregorError, isGregorError } from 'gregor-client/errors';
import { type Clock, MemoryEngine, type StateMachine, systemClock } from 'gregor-client/state';
import { type Logger, pino } from 'pino';
import type { Authenticator } from '../auth/index.js';
import { MockAuthenticator, RemoteAuthenticator, SignedTokenAuthenticator } from '../auth/index.js';
import { type Bus, InProcessBus, RedisBus } from '../pubsub/index.js';
import { ApiKeys, GregorServer, type ServerAddresses } from '../server/index.js';
import { openSqlEngine } from '../storage/index.js';
import type { GregordConfig } from './config.js';
import type { OptionKey } from './config-table.js';
import { redact } from './config-values.js';
import { CreatedPaths } from './created-paths.js';
import { exists, prepareDirectory, sqliteFiles } from './data-files.js';
import { causeText, optionHint, rootCause, startupError } from './startup-error.js';
import { loadOrCreateTokenSecret } from './token-secret-file.js';

/** A started gregord. */
export interface RunningGregord {
  readonly server: GregorServer;
  /** What `listen()` bound (the real ports when 0 was asked). */
  readonly addresses: ServerAddresses;
  readonly config: GregordConfig;
  /**
   * Read the API keys file again (gregord does it on SIGHUP); resolves with the number of keys
   * now valid. On a bad file the keys stay as they were and it rejects (GREGOR_ERR_CONFIG_INVALID).
   * Resolves with 0 when no keys file is configured.
   */
  reloadApiKeys(): Promise<number>;
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
  /** API keys given in-process (createServer's `apiKeys`), instead of `--api-keys-file`. */
  apiKeys?: readonly string[];
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

/** The options that choose the SQLite file: --storage, and --data-dir when it is the default. */
function sqliteOptions(config: GregordConfig, path: string): OptionKey[] {
  const isDefault = resolve(path) === resolve(config.dataDir, 'gregor.db');
  return isDefault ? ['dataDir', 'storage'] : ['storage'];
}

async function openStorage(
  config: GregordConfig,
  clock: Clock,
  logger: Logger,
  created: CreatedPaths,
): Promise<StateMachine> {
  const { storage } = config;
  if (storage.kind === 'memory') return new MemoryEngine({ clock });
  if (storage.kind === 'sqlite' && storage.path !== ':memory:') {
    // SQLite writes -wal and -shm files beside the database, so its directory must be writable.
    const options = sqliteOptions(config, storage.path);
    await prepareDirectory(
      dirname(storage.path),
      { what: 'the SQLite directory', options, isWritten: true },
      created,
    );
    if (!(await exists(storage.path)))
      for (const file of sqliteFiles(storage.path)) created.addFile(file);
  }
  try {
    return await openSqlEngine(storage.url, {
      clock,
      maxQueuedMessages: config.limits.storageQueueSize,
      queryTimeoutMs: config.deadlines.storageQueryMs,
      onBackgroundError: (err) => logger.warn({ err }, 'storage background error'),
    });
  } catch (err) {
    if (isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID')) throw err;
    const options =
      storage.kind === 'sqlite' ? sqliteOptions(config, storage.path) : ['storage' as const];
    throw startupError('GREGOR_ERR_SETUP_FAILED', `storage ${redact(storage.url)}`, err, options);
  }
}

/** The options to name when Redis refuses: the credentials, the CA, or just the address. */
function redisOptions(err: unknown, address: OptionKey): OptionKey[] {
  const text = causeText(err);
  if (/WRONGPASS|NOAUTH|NOPERM|AUTH|password/.test(text)) return [address, 'redisPassword'];
  const code = (rootCause(err) as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return [address, 'tlsCa'];
  }
  return [address];
}

/**
 * The API keys given in-process or in `--api-keys-file`, or undefined when the API is off. A keys
 * file others may read is used, with a warning: each key acts for every user.
 */
async function openApiKeys(
  config: GregordConfig,
  given: readonly string[] | undefined,
  logger: Logger,
): Promise<ApiKeys | undefined> {
  if (given !== undefined) return ApiKeys.of(given);
  const file = config.api.keysFile;
  if (file === null) return undefined;
  try {
    const keys = await ApiKeys.fromFile(file);
    if (((await stat(file)).mode & 0o077) !== 0) {
      logger.warn(
        { file },
        'the API keys file can be read by other users; chmod 600 it (each key acts for every user)',
      );
    }
    return keys;
  } catch (err) {
    throw startupError('GREGOR_ERR_SETUP_FAILED', 'API keys', err, ['apiKeysFile']);
  }
}

async function openBus(config: GregordConfig, logger: Logger): Promise<Bus> {
  const busLogger = { warn: logger.warn.bind(logger), error: logger.error.bind(logger) };
  const { redisUrl, redisCluster } = config;
  if (redisUrl === null && redisCluster === null) return new InProcessBus({ logger: busLogger });
  const common = { channelPrefix: config.redisChannelPrefix, logger: busLogger };
  try {
    return await RedisBus.connect(
      redisCluster === null
        ? {
            ...common,
            url: redisUrl as string,
            ...(config.redisTlsCa === null ? {} : { tlsCa: config.redisTlsCa }),
          }
        : {
            ...common,
            clusterNodes: redisCluster.nodes,
            ...(redisCluster.password === null ? {} : { password: redisCluster.password }),
          },
    );
  } catch (err) {
    if (isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID')) throw err;
    const [what, address]: [string, OptionKey] =
      redisCluster === null
        ? [`redis ${redact(redisUrl as string)}`, 'redisUrl']
        : [`redis cluster ${redisCluster.nodes.join(',')}`, 'redisClusterNodes'];
    throw startupError('GREGOR_ERR_SETUP_FAILED', what, err, redisOptions(err, address));
  }
}

/** The authenticator the configuration names; for the embedded default, the secret file too. */
export async function openAuthenticator(
  config: GregordConfig,
  clock: Clock,
  logger: Logger,
  created: CreatedPaths = new CreatedPaths(),
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
      // Only read when it exists: the data directory may be a read-only secret mount.
      await prepareDirectory(
        config.dataDir,
        { what: 'the data directory', options: ['dataDir'], isWritten: false },
        created,
      );
      let loaded: Awaited<ReturnType<typeof loadOrCreateTokenSecret>>;
      try {
        loaded = await loadOrCreateTokenSecret(auth.secretFile, created);
      } catch (err) {
        // Its message names the file, and the chmod that fixes a secret others can read.
        const hint =
          (err as Error).cause === undefined
            ? ''
            : `; check ${optionHint(['dataDir', 'tokenSecret'])}`;
        throw gregorError('GREGOR_ERR_SETUP_FAILED', `${(err as Error).message}${hint}`, {
          cause: err,
        });
      }
      if (loaded.isNew) logger.info({ path: auth.secretFile }, 'generated a token secret');
      return new SignedTokenAuthenticator({ secret: loaded.secret, clock, onListenerError });
    }
  }
}

/** Refuse, before anything is opened, a TLS certificate and key that cannot serve together. */
function checkTlsPair(config: GregordConfig): void {
  if (!config.tcp?.tls) return;
  try {
    createSecureContext(config.tcp.tls);
  } catch (err) {
    throw startupError('GREGOR_ERR_CONFIG_INVALID', 'the TLS certificate and key', err, [
      'tlsCert',
      'tlsKey',
    ]);
  }
}

/** A listen failure, naming the listener's option (matched by the port the error names). */
function listenError(config: GregordConfig, err: unknown): Error {
  if (!isGregorError(err, 'GREGOR_ERR_LISTEN_FAILED')) return err as Error;
  const port = (rootCause(err) as { port?: unknown } | null)?.port;
  const failed = [
    { key: 'bindAddress' as const, address: config.tcp },
    { key: 'httpAddress' as const, address: config.http },
  ].filter((l) => l.address !== null && (port === undefined || l.address.port === port));
  const where = failed[0]?.address;
  return startupError(
    'GREGOR_ERR_LISTEN_FAILED',
    where ? `cannot listen on ${where.host}:${where.port}` : 'cannot listen',
    err,
    failed.map((l) => l.key),
  );
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
  checkTlsPair(config);
  const created = new CreatedPaths();
  let authenticator: Authenticator | undefined;
  let stateMachine: StateMachine | undefined;
  let bus: Bus | undefined;
  let server: GregorServer;
  let apiKeys: ApiKeys | undefined;
  try {
    apiKeys = await openApiKeys(config, options.apiKeys, logger);
    authenticator = await openAuthenticator(config, clock, logger, created);
    stateMachine = await openStorage(config, clock, logger, created);
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
          : {
              http: {
                host: config.http.host,
                port: config.http.port,
                ...(config.wsAllowedOrigins === null
                  ? {}
                  : { allowedOrigins: config.wsAllowedOrigins }),
                ...(apiKeys === undefined
                  ? {}
                  : {
                      api: {
                        keys: apiKeys,
                        maxBodyBytes: config.api.maxBodyBytes,
                        maxInFlightPerKey: config.api.maxInFlightPerKey,
                      },
                    }),
              },
            }),
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
      maxClientFrameBytes: config.limits.maxClientFrameBytes,
      drainTimeoutMs: config.shutdownTimeoutMs,
      ...(config.retentionMs === null ? {} : { retention: { retentionMs: config.retentionMs } }),
      logger,
      owns: { stateMachine: true, bus: true, authenticator: true },
    });
  } catch (err) {
    await closeQuietly(logger, bus, stateMachine, authenticator);
    await created.removeAll();
    throw err;
  }
  let addresses: ServerAddresses;
  try {
    // listen() closes the server, and so everything it owns, when it fails.
    addresses = await server.listen();
  } catch (err) {
    await created.removeAll();
    throw listenError(config, err);
  }
  logAddresses(config, addresses, logger);
  return {
    server,
    addresses,
    config,
    reloadApiKeys: async () => {
      await apiKeys?.reload();
      return apiKeys?.size ?? 0;
    },
    close: () => server.close(),
  };
}
