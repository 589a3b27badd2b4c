/**
 * The rpc layer as the other layers and the tests see it: the public surface of `index.ts`, plus
 * the framing, the message encoding and the event emitter sessions are built from. Not part of
 * the package's public API.
 */

export type { EventMap } from './emitter.js';
export { TypedEmitter } from './emitter.js';
export {
  encodeFrame,
  encodeLengthPrefix,
  FrameDecoder,
  MAX_LENGTH_PREFIX_BYTES,
} from './framing.js';
export * from './index.js';
export type {
  CallMessage,
  CancelMessage,
  CompressedCallMessage,
  CompressionType,
  MessageType,
  NotifyMessage,
  ResponseMessage,
  RpcMessage,
} from './message.js';
export {
  COMPRESSION_TYPE,
  callSeqOf,
  decodeArgs,
  decodeFrame,
  encodeCallHeader,
  encodeMessage,
  MESSAGE_TYPE,
  parseMessage,
} from './message.js';
export { MAX_SEQNO } from './pending-calls.js';
