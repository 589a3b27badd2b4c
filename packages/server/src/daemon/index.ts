/**
 * gregord the daemon: its configuration (every flag and environment variable, read once into one
 * GregordConfig) and its start (storage, bus, authenticator and a GregorServer, from that config,
 * each failure named by the option behind it). The embeddable server itself is `../server/`.
 * This file is the part a user needs; `internal.ts` adds what the CLI and the tests use.
 */
export {
  type RunningGregord,
  type StartGregordOptions,
  startGregord,
} from './bootstrap.js';
export {
  type AuthConfig,
  type DeadlinesConfig,
  type FmprpcUri,
  type GregordConfig,
  type GregordConfigInput,
  type LimitsConfig,
  type ListenAddress,
  type LogLevel,
  parseGregordConfig,
  type StorageSpec,
} from './config.js';
export { DEFAULT_BIND_ADDRESS, DEFAULT_DATA_DIR, DEFAULT_HTTP_ADDRESS } from './config-table.js';
