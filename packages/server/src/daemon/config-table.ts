/**
 * The one table of gregord's options: each flag, its environment variable, its
 * default, its unit and its help text. `gregord --help`, docs/configuration.md and the parser in
 * config.ts all derive from it, and a test checks the first two against it.
 *
 * Names follow the original gregord where one exists (`BIND_ADDRESS`,
 * `AUTH_SERVER`, `TLS_CERT`, `MYSQL_DSN`, `DEBUG`, `-broadcast-timeout`, …); the options new to
 * this implementation use a `GREGOR_` prefix. A flag always wins over its variable.
 */

/** How a value is spelled, for help and docs. */
export const OPTION_UNIT = {
  address: 'HOST:PORT',
  addresses: 'HOST:PORT,…',
  path: 'path',
  pem: 'path or PEM',
  url: 'URL',
  secret: 'text',
  duration: 'duration',
  count: 'count',
  bytes: 'bytes',
  level: 'level',
  switch: 'switch',
  prefix: 'prefix',
  origins: 'origins',
  password: 'password',
} as const;
/** One of the units of {@link OPTION_UNIT}. */
export type OptionUnit = (typeof OPTION_UNIT)[keyof typeof OPTION_UNIT];

/** One row of the table. */
export interface ConfigOption {
  /** The key in the parsed flags (commander's camelCase attribute name of the flag). */
  readonly key: string;
  /** The long flag, `--kebab-case`. */
  readonly flag: `--${string}`;
  /** The environment variable, or null for a flag-only option. */
  readonly env: string | null;
  /** The default as text (parsed like a given value), or null when there is none. */
  readonly defaultText: string | null;
  readonly unit: OptionUnit;
  /** One or two sentences for `--help` and the docs. */
  readonly help: string;
}

/** The default TCP listener: framed msgpack-rpc, as the Keybase client speaks it. */
export const DEFAULT_BIND_ADDRESS = '127.0.0.1:9911';
/** The default HTTP listener: WebSocket upgrade, the HTTP API, /metrics, /healthz, /readyz. */
export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:9912';
/** The default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = './data';
/** The storage used when none is given: a SQLite file in the data directory. */
export const DEFAULT_STORAGE_TEXT = 'sqlite:<data-dir>/gregor.db';

/** Every option of gregord, in the order `--help` lists them. */
export const CONFIG_TABLE = [
  {
    key: 'bindAddress',
    flag: '--bind-address',
    env: 'BIND_ADDRESS',
    defaultText: DEFAULT_BIND_ADDRESS,
    unit: OPTION_UNIT.address,
    help: 'TCP listener for framed msgpack-rpc (gregor.1) clients. Port 0 picks a free port; "off" disables it.',
  },
  {
    key: 'httpAddress',
    flag: '--http-address',
    env: 'HTTP_ADDRESS',
    defaultText: DEFAULT_HTTP_ADDRESS,
    unit: OPTION_UNIT.address,
    help: 'HTTP listener: WebSocket upgrade, the HTTP API (/api/v1, with --api-keys-file), /metrics, /healthz, /readyz. Port 0 picks a free port; "off" disables it.',
  },
  {
    key: 'wsAllowedOrigins',
    flag: '--ws-allowed-origins',
    env: 'GREGOR_WS_ALLOWED_ORIGINS',
    defaultText: null,
    unit: OPTION_UNIT.origins,
    help: "Web origins (https://app.example.com, comma-separated, or *) whose pages may open a WebSocket; other Origin headers get 403, the listener's own origin and clients sending none always pass. Unset: any origin, except with --mock-auth.",
  },
  {
    key: 'apiKeysFile',
    flag: '--api-keys-file',
    env: 'GREGOR_API_KEYS_FILE',
    defaultText: null,
    unit: OPTION_UNIT.path,
    help: 'File of API keys for the HTTP API under /api/v1 (one per line, 16+ characters; # starts a comment), re-read on SIGHUP. Unset or empty: the API answers 404.',
  },
  {
    key: 'apiMaxBodyBytes',
    flag: '--api-max-body-bytes',
    env: 'GREGOR_API_MAX_BODY_BYTES',
    defaultText: '1MiB',
    unit: OPTION_UNIT.bytes,
    help: 'Largest HTTP API request body; a larger one is answered 413 before it is read in full.',
  },
  {
    key: 'apiMaxInFlight',
    flag: '--api-max-in-flight',
    env: 'GREGOR_API_MAX_IN_FLIGHT',
    defaultText: '64',
    unit: OPTION_UNIT.count,
    help: 'HTTP API requests one API key may have in flight; more are answered 429 with retry-after.',
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert',
    env: 'TLS_CERT',
    defaultText: null,
    unit: OPTION_UNIT.pem,
    help: 'TLS certificate chain for the TCP listener: a file path, a file:// URL or the PEM text. Needs --tls-key.',
  },
  {
    key: 'tlsKey',
    flag: '--tls-key',
    env: 'TLS_KEY',
    defaultText: null,
    unit: OPTION_UNIT.pem,
    help: 'TLS private key for the TCP listener: a file path, a file:// URL or the PEM text. Needs --tls-cert.',
  },
  {
    key: 'tlsCa',
    flag: '--tls-ca',
    env: 'TLS_CA',
    defaultText: null,
    unit: OPTION_UNIT.pem,
    help: 'CA certificate(s) that the servers gregord dials over TLS (an fmprpc+tls:// --auth-server, a rediss:// --redis-url) must chain to, instead of the system CAs: a file path, a file:// URL or the PEM text.',
  },
  {
    key: 'storage',
    flag: '--storage',
    env: 'GREGOR_STORAGE',
    defaultText: DEFAULT_STORAGE_TEXT,
    unit: OPTION_UNIT.url,
    help: 'Where state is kept: memory:, sqlite:PATH, postgres://…, postgresql://…, mysql://… or mariadb://…',
  },
  {
    key: 'mysqlDsn',
    flag: '--mysql-dsn',
    env: 'MYSQL_DSN',
    defaultText: null,
    unit: OPTION_UNIT.url,
    help: "The original gregord's MySQL setting: a mysql:// URL or a Go DSN user:pass@tcp(host:port)/db. Used when --storage/GREGOR_STORAGE is not set.",
  },
  {
    key: 'redisUrl',
    flag: '--redis-url',
    env: 'REDIS_URL',
    defaultText: null,
    unit: OPTION_UNIT.url,
    help: 'Redis pub/sub between gregord instances: redis://[USER[:PASSWORD]@]HOST:PORT, or rediss:// for TLS. Absent: the in-process bus, one instance.',
  },
  {
    key: 'redisClusterNodes',
    flag: '--redis-cluster-nodes',
    env: 'GREGOR_REDIS_CLUSTER_NODES',
    defaultText: null,
    unit: OPTION_UNIT.addresses,
    help: 'Redis Cluster (7 or later) pub/sub between gregord instances instead of --redis-url: some of its nodes, comma-separated; the others are discovered. Sharded channels spread the users over the shards.',
  },
  {
    key: 'redisPassword',
    flag: '--redis-password',
    env: 'GREGOR_REDIS_PASSWORD',
    defaultText: null,
    unit: OPTION_UNIT.password,
    help: 'Password for --redis-url (with its user, if the URL names one) or of every --redis-cluster-nodes node, kept out of the URL (prefer the variable: flags show in ps).',
  },
  {
    key: 'redisChannelPrefix',
    flag: '--redis-channel-prefix',
    env: 'GREGOR_REDIS_CHANNEL_PREFIX',
    defaultText: 'gregor:',
    unit: OPTION_UNIT.prefix,
    help: 'Prefix of every Redis channel; give each cluster sharing one Redis its own.',
  },
  {
    key: 'tokenSecret',
    flag: '--token-secret',
    env: 'GREGOR_TOKEN_SECRET',
    defaultText: null,
    unit: OPTION_UNIT.secret,
    help: 'Shared secret of signed session tokens, at least 16 bytes (prefer the variable: flags show in ps). Absent, with no other auth mode: generated once into <data-dir>/token-secret.',
  },
  {
    key: 'authServer',
    flag: '--auth-server',
    env: 'AUTH_SERVER',
    defaultText: null,
    unit: OPTION_UNIT.url,
    help: 'Keybase-compatible authd to check tokens with: fmprpc://HOST:PORT or fmprpc+tls://HOST:PORT.',
  },
  {
    key: 'mockAuth',
    flag: '--mock-auth',
    env: null,
    defaultText: null,
    unit: OPTION_UNIT.switch,
    help: 'Development only: the token is the uid in hex (optionally :SESSION), "superuser" is the superuser. Refused on a non-loopback address.',
  },
  {
    key: 'superTokenRefreshInterval',
    flag: '--super-token-refresh-interval',
    env: 'GREGOR_SUPER_TOKEN_REFRESH_INTERVAL',
    defaultText: '1h',
    unit: OPTION_UNIT.duration,
    help: 'How often the superuser token is fetched again from authd (--auth-server).',
  },
  {
    key: 'authTimeout',
    flag: '--auth-timeout',
    env: 'GREGOR_AUTH_TIMEOUT',
    defaultText: '10s',
    unit: OPTION_UNIT.duration,
    help: 'How long checking one session token may take (with --auth-server, one authd call) before it fails as unavailable.',
  },
  {
    key: 'loginTimeout',
    flag: '--login-timeout',
    env: 'GREGOR_LOGIN_TIMEOUT',
    defaultText: '60s',
    unit: OPTION_UNIT.duration,
    help: 'How long a connection may stay open without logging in before it is closed.',
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    env: 'GREGOR_DATA_DIR',
    defaultText: DEFAULT_DATA_DIR,
    unit: OPTION_UNIT.path,
    help: 'Directory of the default SQLite file and of the generated token secret; created if missing.',
  },
  {
    key: 'broadcastTimeout',
    flag: '--broadcast-timeout',
    env: 'GREGOR_BROADCAST_TIMEOUT',
    defaultText: '10s',
    unit: OPTION_UNIT.duration,
    help: 'How long one broadcastMessage call to a connection may take before it counts as failed.',
  },
  {
    key: 'storageQueryTimeout',
    flag: '--storage-query-timeout',
    env: 'GREGOR_STORAGE_QUERY_TIMEOUT',
    defaultText: '10s',
    unit: OPTION_UNIT.duration,
    help: 'How long one database read or transaction may take before the call fails with a timeout; past it a PostgreSQL/MySQL connection is dropped, so a frozen database frees the pool.',
  },
  {
    key: 'retention',
    flag: '--retention',
    env: 'GREGOR_RETENTION',
    defaultText: null,
    unit: OPTION_UNIT.duration,
    help: 'Delete the message log older than this (30d, 12h; at least 1h) with its dismissed and expired items, in small batches, on one instance at a time; live items always stay. Unset or "off": nothing is ever deleted.',
  },
  {
    key: 'storageQueueSize',
    flag: '--storage-queue-size',
    env: 'GREGOR_STORAGE_QUEUE_SIZE',
    defaultText: '10000',
    unit: OPTION_UNIT.count,
    help: "Consumes waiting for storage at once, all users together (a user's lane hands over up to 256 of its queued consumes at once); past it a consume is refused as overloaded.",
  },
  {
    key: 'maxQueuedPerUser',
    flag: '--max-queued-per-user',
    env: 'GREGOR_MAX_QUEUED_PER_USER',
    defaultText: '1000',
    unit: OPTION_UNIT.count,
    help: "Messages waiting in one user's queue; past it that user's consumes are refused as overloaded.",
  },
  {
    key: 'maxItemsPerUser',
    flag: '--max-items-per-user',
    env: 'GREGOR_MAX_ITEMS_PER_USER',
    defaultText: '10000',
    unit: OPTION_UNIT.count,
    help: 'Live (undismissed, unexpired) items one user may hold; a creation past it is refused as quota exceeded, dismissals always pass. Left unset, it shrinks if a full state would not fit in --max-frame-bytes.',
  },
  {
    key: 'maxBytesPerUser',
    flag: '--max-bytes-per-user',
    env: 'GREGOR_MAX_BYTES_PER_USER',
    defaultText: '8MiB',
    unit: OPTION_UNIT.bytes,
    help: "Body bytes over one user's live items; a creation past it is refused as quota exceeded. Left unset, it shrinks if a full state would not fit in --max-frame-bytes.",
  },
  {
    key: 'maxReadsPerConnection',
    flag: '--max-reads-per-connection',
    env: 'GREGOR_MAX_READS_PER_CONNECTION',
    defaultText: '4',
    unit: OPTION_UNIT.count,
    help: 'Reads (state, stateByCategoryPrefix, sync) one connection may run at once; more are refused as overloaded.',
  },
  {
    key: 'maxReadsPerUser',
    flag: '--max-reads-per-user',
    env: 'GREGOR_MAX_READS_PER_USER',
    defaultText: '8',
    unit: OPTION_UNIT.count,
    help: "Reads of one user's data running at once on this instance, all connections together; more are refused as overloaded.",
  },
  {
    key: 'maxFrameBytes',
    flag: '--max-frame-bytes',
    env: 'GREGOR_MAX_FRAME_BYTES',
    defaultText: '16MiB',
    unit: OPTION_UNIT.bytes,
    help: 'Largest framed msgpack-rpc frame read or written; a larger one closes the connection.',
  },
  {
    key: 'maxLoginFrameBytes',
    flag: '--max-login-frame-bytes',
    env: 'GREGOR_MAX_LOGIN_FRAME_BYTES',
    defaultText: '64KiB',
    unit: OPTION_UNIT.bytes,
    help: 'Largest frame read from a connection before it logs in (decompressed arguments included); a larger one closes it.',
  },
  {
    key: 'maxClientFrameBytes',
    flag: '--max-client-frame-bytes',
    env: 'GREGOR_MAX_CLIENT_FRAME_BYTES',
    defaultText: '1MiB',
    unit: OPTION_UNIT.bytes,
    help: "Largest frame read from a logged-in connection (decompressed arguments included); the superuser's may send up to --max-frame-bytes. At least --max-body-bytes.",
  },
  {
    key: 'frameReadTimeout',
    flag: '--frame-read-timeout',
    env: 'GREGOR_FRAME_READ_TIMEOUT',
    defaultText: '30s',
    unit: OPTION_UNIT.duration,
    help: 'How long a frame may take to arrive once its first byte has, before or after login; past it the connection is closed.',
  },
  {
    key: 'maxBodyBytes',
    flag: '--max-body-bytes',
    env: 'GREGOR_MAX_BODY_BYTES',
    defaultText: '64KiB',
    unit: OPTION_UNIT.bytes,
    help: 'Largest item or out-of-band body accepted by consumeMessage.',
  },
  {
    key: 'maxConcurrentCalls',
    flag: '--max-concurrent-calls',
    env: 'GREGOR_MAX_CONCURRENT_CALLS',
    defaultText: '64',
    unit: OPTION_UNIT.count,
    help: 'Calls one connection may have running at once; reading from it pauses beyond.',
  },
  {
    key: 'maxWriteBufferBytes',
    flag: '--max-write-buffer-bytes',
    env: 'GREGOR_MAX_WRITE_BUFFER_BYTES',
    defaultText: '32MiB',
    unit: OPTION_UNIT.bytes,
    help: 'Bytes queued unsent to one connection before it is closed as a slow reader (its client resyncs). At least --max-frame-bytes.',
  },
  {
    key: 'maxConnectionsPerUser',
    flag: '--max-connections-per-user',
    env: 'GREGOR_MAX_CONNECTIONS_PER_USER',
    defaultText: '128',
    unit: OPTION_UNIT.count,
    help: 'Logged-in connections one user may hold on this instance; a login past it is refused and its connection closed.',
  },
  {
    key: 'maxConnectionsPerAddress',
    flag: '--max-connections-per-address',
    env: 'GREGOR_MAX_CONNECTIONS_PER_ADDRESS',
    defaultText: '1024',
    unit: OPTION_UNIT.count,
    help: 'Connections, logged in or not, from one remote IP address; one past it is closed at once. Behind a balancer that hides client addresses, raise it above what one instance serves.',
  },
  {
    key: 'shutdownTimeout',
    flag: '--shutdown-timeout',
    env: 'GREGOR_SHUTDOWN_TIMEOUT',
    defaultText: '10s',
    unit: OPTION_UNIT.duration,
    help: 'On SIGTERM/SIGINT, how long in-flight consumes may take to finish before connections are cut. 5 s later the process exits anyway (exit code 5).',
  },
  {
    key: 'workers',
    flag: '--workers',
    env: 'GREGOR_WORKERS',
    defaultText: '1',
    unit: OPTION_UNIT.count,
    help: 'Processes sharing the listeners (Node cluster). Above 1 needs --redis-url (or --redis-cluster-nodes) and a storage other than memory:.',
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'GREGOR_LOG_LEVEL',
    defaultText: 'info',
    unit: OPTION_UNIT.level,
    help: 'Least severe log level written: trace, debug, info, warn, error, fatal or silent.',
  },
  {
    key: 'debug',
    flag: '--debug',
    env: 'DEBUG',
    defaultText: null,
    unit: OPTION_UNIT.switch,
    help: 'Shorthand for --log-level debug. The variable counts as set unless empty, 0, false, no or off.',
  },
  {
    key: 'childMode',
    flag: '--child-mode',
    env: null,
    defaultText: null,
    unit: OPTION_UNIT.switch,
    help: 'Run as a child of another process: shut down when the parent goes away (stdin reaches end of file, the IPC channel disconnects, or the parent process id changes).',
  },
] as const satisfies readonly ConfigOption[];

/** The key of an option of the table. */
export type OptionKey = (typeof CONFIG_TABLE)[number]['key'];

/** The row of `key`. */
export function configOption(key: OptionKey): ConfigOption {
  return CONFIG_TABLE.find((row) => row.key === key) as ConfigOption;
}

/** How an option is named in messages: the flag, with its variable when it has one. */
export function optionName(row: ConfigOption): string {
  return row.env === null ? row.flag : `${row.flag} (${row.env})`;
}
