/** The public surface of the protocol layer: gregor.1 records, validation, canonical encoding. */
export * from './records.js';
