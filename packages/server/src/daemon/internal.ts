/**
 * The daemon layer as the CLI and the tests see it: the public surface of `index.ts`, plus the
 * option table, the value parsers, the token secret file and the bookkeeping of a start.
 * Not part of the package's public API.
 */

export { openAuthenticator } from './bootstrap.js';
export {
  CONFIG_TABLE,
  type ConfigOption,
  configOption,
  OPTION_UNIT,
  type OptionKey,
  type OptionUnit,
  optionName,
} from './config-table.js';
export { parseDurationMs, parseListenAddress, parseSwitch } from './config-values.js';
export { CreatedPaths } from './created-paths.js';
export * from './index.js';
export {
  type LoadedTokenSecret,
  loadOrCreateTokenSecret,
  readTokenSecretFile,
} from './token-secret-file.js';
