/** The public surface of the protocol layer: gregor.1 records, validation, canonical encoding. Browser-safe. */
export * from './codec.js';
export * from './decode.js';
export type { WireMap } from './fields.js';
export {
  invalidField,
  readArray,
  readBool,
  readBytes,
  readBytesOrNull,
  readInt,
  readMap,
  readString,
} from './fields.js';
export * from './gregord-methods.js';
export * from './hex.js';
export * from './ids.js';
export * from './methods.js';
export * from './msgpack-scan.js';
export * from './records.js';
export * from './state-hash.js';
export * from './validate.js';
export * from './wire.js';
