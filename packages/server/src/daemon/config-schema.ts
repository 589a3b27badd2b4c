/**
 * The first half of reading gregord's configuration: where each option's text came from (flag,
 * environment variable or default, in that order of precedence) and its typed value, through the
 * zod schema of its kind. Every bad value becomes one line naming the option as it was given.
 */
import { join } from 'node:path';
import { parseOptions } from 'gregor-client/errors';
import { z } from 'zod';
import type { ConfigOption, OptionKey } from './config-table.js';
import { CONFIG_TABLE, DEFAULT_STORAGE_TEXT } from './config-table.js';
import { VALUE } from './config-values.js';

/** The raw input: what commander parsed, and the environment. */
export interface GregordConfigInput {
  /** Command-line values keyed by table key: the text, or true for a given switch. */
  flags?: Readonly<Partial<Record<OptionKey, string | boolean>>>;
  /** The environment; an empty variable counts as unset, as in the original gregord. @default {} */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The text of one option and where it came from. */
export interface GivenOption {
  readonly text: string;
  readonly source: 'flag' | 'env' | 'default';
  /** How to name it in a message: the flag or the variable that was set. */
  readonly name: string;
}

/** The given options, by key; absent when neither set nor defaulted. */
export type GivenOptions = Partial<Record<OptionKey, GivenOption>>;

/** Text → value schema of every option. */
const SCHEMAS = {
  bindAddress: VALUE.address,
  httpAddress: VALUE.address,
  wsAllowedOrigins: VALUE.origins,
  apiKeysFile: VALUE.path,
  apiMaxBodyBytes: VALUE.bytes,
  apiMaxInFlight: VALUE.count,
  tlsCert: VALUE.pem,
  tlsKey: VALUE.pem,
  tlsCa: VALUE.pem,
  storage: VALUE.storage,
  mysqlDsn: VALUE.mysqlDsn,
  redisUrl: VALUE.redis,
  redisClusterNodes: VALUE.addresses,
  redisPassword: VALUE.password,
  redisChannelPrefix: VALUE.channelPrefix,
  tokenSecret: VALUE.secret,
  authServer: VALUE.fmprpc,
  mockAuth: VALUE.switch,
  superTokenRefreshInterval: VALUE.duration,
  authTimeout: VALUE.duration,
  loginTimeout: VALUE.duration,
  dataDir: VALUE.path,
  broadcastTimeout: VALUE.duration,
  storageQueryTimeout: VALUE.duration,
  retention: VALUE.retention,
  storageQueueSize: VALUE.count,
  maxQueuedPerUser: VALUE.count,
  maxItemsPerUser: VALUE.count,
  maxBytesPerUser: VALUE.bytes,
  maxReadsPerConnection: VALUE.count,
  maxReadsPerUser: VALUE.count,
  maxFrameBytes: VALUE.bytes,
  maxLoginFrameBytes: VALUE.bytes,
  maxClientFrameBytes: VALUE.bytes,
  frameReadTimeout: VALUE.duration,
  maxBodyBytes: VALUE.bytes,
  maxConcurrentCalls: VALUE.count,
  maxWriteBufferBytes: VALUE.bytes,
  maxConnectionsPerUser: VALUE.count,
  maxConnectionsPerAddress: VALUE.count,
  shutdownTimeout: VALUE.duration,
  workers: VALUE.workers,
  logLevel: VALUE.logLevel,
  debug: VALUE.switch,
  childMode: VALUE.switch,
} as const satisfies Record<OptionKey, z.ZodType<unknown, string>>;

/** The typed value of every option; undefined when not given and without default. */
export type Values = { [K in OptionKey]: z.output<(typeof SCHEMAS)[K]> | undefined };

/** Where each option's text came from: the flag beats the variable, which beats the default. */
function resolveGiven(
  row: ConfigOption,
  input: GregordConfigInput,
  defaults: Readonly<Record<string, string>>,
): GivenOption | undefined {
  const flag = input.flags?.[row.key as OptionKey];
  if (flag !== undefined && flag !== false) {
    return { text: flag === true ? 'true' : flag, source: 'flag', name: row.flag };
  }
  const env = row.env === null ? undefined : input.env?.[row.env];
  if (row.env !== null && env !== undefined && env !== '') {
    return { text: env, source: 'env', name: `${row.env} (${row.flag})` };
  }
  const text = defaults[row.key] ?? row.defaultText;
  return text === null ? undefined : { text, source: 'default', name: `${row.flag} (default)` };
}

/** The message lead of every gregord configuration error. */
export const CONFIG_ERROR_WHAT = 'invalid configuration';

/** Parse every given option; one problem per bad value, naming the option as it was given. */
export function parseValues(input: GregordConfigInput): {
  values: Values;
  given: GivenOptions;
} {
  const given: GivenOptions = {};
  const texts: Partial<Record<OptionKey, string>> = {};
  // The data directory comes first: the default storage path is inside it.
  const rows = [...CONFIG_TABLE].sort(
    (a, b) => Number(b.key === 'dataDir') - Number(a.key === 'dataDir'),
  );
  const defaults: Record<string, string> = {};
  for (const row of rows) {
    const key: OptionKey = row.key;
    const g = resolveGiven(row, input, defaults);
    if (g === undefined) continue;
    given[key] = g;
    texts[key] = g.text;
    if (key === 'dataDir') {
      defaults.storage = DEFAULT_STORAGE_TEXT.replace(
        '<data-dir>/gregor.db',
        join(g.text, 'gregor.db'),
      );
    }
  }
  const values = parseOptions(
    CONFIG_ERROR_WHAT,
    z.object(SCHEMAS).partial(),
    texts,
    (path) => given[path[0] as OptionKey]?.name ?? 'options',
  );
  return { values: values as Values, given };
}
