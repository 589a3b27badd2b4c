/**
 * The protocol layer as the other layers and the tests see it: the public surface of `index.ts`,
 * plus the field readers, the msgpack scanner and the Go-shaped wire encoding. Not part of the
 * package's public API.
 */
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
export * from './index.js';
export * from './msgpack-scan.js';
export * from './wire.js';
