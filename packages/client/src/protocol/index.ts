/**
 * The protocol layer: the gregor.1 records, their validation and canonical encoding, the method
 * table of the wire protocol, and the state hash. Browser-safe. `internal.ts` adds the low-level
 * msgpack readers the other layers decode with.
 */
export * from './codec.js';
export * from './decode.js';
export * from './gregord-methods.js';
export * from './hex.js';
export * from './ids.js';
export * from './methods.js';
export * from './records.js';
export * from './state-hash.js';
export * from './validate.js';
