/**
 * What the commands use from the server layer, in one place.
 *
 * These names belong on src/server/index.ts (the layer's only public surface, STYLE.md §1.2),
 * which another engineer owns. Until it re-exports `./auth/index.js`, `./bootstrap.js`,
 * `./config.js`, `./config-table.js` and, from `./config-values.js`, `fromText`,
 * `parseDurationMs` and `parseListenAddress`, they are imported here file by file; this module is
 * then the only place to change.
 */
export {
  loadOrCreateTokenSecret,
  MIN_TOKEN_SECRET_BYTES,
  mintToken,
  readTokenSecretFile,
} from '../server/auth/index.js';
export { type RunningGregord, startGregord } from '../server/bootstrap.js';
export {
  type GregordConfig,
  type GregordConfigInput,
  parseGregordConfig,
} from '../server/config.js';
export {
  CONFIG_TABLE,
  type ConfigOption,
  DEFAULT_BIND_ADDRESS,
  OPTION_UNIT,
  type OptionKey,
  optionName,
} from '../server/config-table.js';
export { fromText, parseDurationMs, parseListenAddress } from '../server/config-values.js';
