/**
 * The five framed msgpack-rpc message types (docs/protocol.md, "Messages"), parsed from a
 * decoded frame into typed records, and encoded back into frame payloads.
 *
 * Parsing follows Go's `decodeRPC`: the first element is the type, each type has a minimum array
 * length (call 4, response 4, notify 3, cancel 3, compressed call 5), and an optional trailing
 * element carries the context tags. A method name may arrive as str or bin (Go reads either).
 */
import { gregorError, isGregorError } from '../errors.js';
import {
  CheckedMsgpack,
  type DecodeLimits,
  encodeCanonical,
  splitMsgpackArray,
} from '../protocol/index.js';

/** Message type codes, the first element of every message array. */
export const MESSAGE_TYPE = {
  call: 0,
  response: 1,
  notify: 2,
  cancel: 3,
  callCompressed: 4,
} as const;
export type MessageType = (typeof MESSAGE_TYPE)[keyof typeof MESSAGE_TYPE];

/** Compression of a compressed call's arguments and of its response's result. */
export const COMPRESSION_TYPE = { none: 0, gzip: 1, msgpackzip: 2 } as const;
export type CompressionType = (typeof COMPRESSION_TYPE)[keyof typeof COMPRESSION_TYPE];

/** `[0, seq, method, args, tags?]` */
export interface CallMessage {
  readonly type: 0;
  readonly seq: number;
  readonly method: string;
  readonly args: unknown;
  readonly tags?: unknown;
}
/** `[1, seq, error, result]` */
export interface ResponseMessage {
  readonly type: 1;
  readonly seq: number;
  readonly error: unknown;
  readonly result: unknown;
}
/** `[2, method, args, tags?]` */
export interface NotifyMessage {
  readonly type: 2;
  readonly method: string;
  readonly args: unknown;
  readonly tags?: unknown;
}
/** `[3, seq, method]` */
export interface CancelMessage {
  readonly type: 3;
  readonly seq: number;
  readonly method: string;
}
/**
 * `[4, seq, ctype, method, args, tags?]`. With ctype none, `args` is the plain args array; with
 * any other ctype it is the compressed msgpack of that array (bin), as Go sends it.
 */
export interface CompressedCallMessage {
  readonly type: 4;
  readonly seq: number;
  readonly ctype: number;
  readonly method: string;
  readonly args: unknown;
  readonly tags?: unknown;
}

/** Any rpc message. */
export type RpcMessage =
  | CallMessage
  | ResponseMessage
  | NotifyMessage
  | CancelMessage
  | CompressedCallMessage;

const MIN_LENGTH: Readonly<Record<number, number>> = { 0: 4, 1: 4, 2: 3, 3: 3, 4: 5 };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function badMessage(detail: string): never {
  throw gregorError('GREGOR_ERR_PROTOCOL_BAD_MESSAGE', `malformed rpc message: ${detail}`);
}

function readSeq(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    badMessage('seqno is not an integer');
  return value;
}

function readMethod(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) {
    try {
      return utf8.decode(value);
    } catch {
      return badMessage('method is not UTF-8');
    }
  }
  return badMessage('method is not a string');
}

/** The element of each served message type that holds its arguments (call, notify, compressed). */
const ARGS_INDEX: Readonly<Record<number, number>> = { 0: 3, 2: 2, 4: 4 };

/**
 * Decode a frame payload for {@link parseMessage}, checked within `limits` before anything is
 * allocated. The arguments of a call or notify stay encoded (a {@link CheckedMsgpack}), so nothing
 * is spent on them until the method has been found and admitted (IncomingCalls). Throws
 * GREGOR_ERR_PROTOCOL_BAD_FRAME when the payload is outside the limits or not msgpack.
 */
export function decodeFrame(payload: Uint8Array, limits: DecodeLimits): unknown {
  try {
    const elements = splitMsgpackArray(payload, limits);
    // Not an array: parseMessage refuses it as such, so its content is never decoded.
    if (elements === undefined) return null;
    const type = elements[0]?.decode();
    const argsIndex = typeof type === 'number' ? ARGS_INDEX[type] : undefined;
    return elements.map((element, i) => (i === argsIndex ? element : element.decode()));
  } catch (err) {
    if (isGregorError(err)) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw gregorError('GREGOR_ERR_PROTOCOL_BAD_FRAME', `undecodable frame: ${detail}`, {
      cause: err,
    });
  }
}

/** The arguments of a served message, decoded now if {@link decodeFrame} left them encoded. */
export function decodeArgs(args: unknown): unknown {
  return args instanceof CheckedMsgpack ? args.decode() : args;
}

/**
 * Parse a decoded frame into a typed message. Throws GREGOR_ERR_PROTOCOL_BAD_MESSAGE naming what
 * is wrong; use `callSeqOf` to learn whether the broken message was a call that can be answered.
 */
export function parseMessage(value: unknown): RpcMessage {
  if (!Array.isArray(value)) return badMessage('not an array');
  const type = value[0];
  const min = typeof type === 'number' ? MIN_LENGTH[type] : undefined;
  if (min === undefined) return badMessage(`invalid rpc type ${String(type)}`);
  if (value.length < min)
    return badMessage(`wrong message length ${value.length} for type ${type}`);
  switch (type) {
    case MESSAGE_TYPE.call:
      return withTags<CallMessage>(
        { type, seq: readSeq(value[1]), method: readMethod(value[2]), args: value[3] },
        value[4],
      );
    case MESSAGE_TYPE.response:
      return { type, seq: readSeq(value[1]), error: value[2], result: value[3] };
    case MESSAGE_TYPE.notify:
      return withTags<NotifyMessage>(
        { type, method: readMethod(value[1]), args: value[2] },
        value[3],
      );
    case MESSAGE_TYPE.cancel:
      return { type, seq: readSeq(value[1]), method: readMethod(value[2]) };
    default: {
      const ctype = value[2];
      if (typeof ctype !== 'number' || !Number.isInteger(ctype)) {
        return badMessage('compression type is not an integer');
      }
      return withTags<CompressedCallMessage>(
        {
          type: MESSAGE_TYPE.callCompressed,
          seq: readSeq(value[1]),
          ctype,
          method: readMethod(value[3]),
          args: value[4],
        },
        value[5],
      );
    }
  }
}

function withTags<T extends { tags?: unknown }>(message: T, tags: unknown): T {
  return tags === undefined || tags === null ? message : { ...message, tags };
}

/**
 * The seqno of a decoded frame that is a call (type 0 or 4) with an integer seqno, else
 * `undefined`. A call that fails to parse past its seqno is answered with an error and the
 * connection stays open, as Go does; anything else broken closes the connection.
 */
export function callSeqOf(value: unknown): number | undefined {
  if (!Array.isArray(value)) return undefined;
  const [type, seq] = value;
  if (type !== MESSAGE_TYPE.call && type !== MESSAGE_TYPE.callCompressed) return undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : undefined;
}

/** Encode a message as a frame payload (no length prefix). */
export function encodeMessage(message: RpcMessage): Uint8Array {
  return encodeCanonical(toArray(message));
}

function toArray(m: RpcMessage): unknown[] {
  switch (m.type) {
    case MESSAGE_TYPE.call:
      return appendTags([m.type, m.seq, m.method, m.args], m.tags);
    case MESSAGE_TYPE.response:
      return [m.type, m.seq, m.error ?? null, m.result ?? null];
    case MESSAGE_TYPE.notify:
      return appendTags([m.type, m.method, m.args], m.tags);
    case MESSAGE_TYPE.cancel:
      return [m.type, m.seq, m.method];
    default:
      return appendTags([m.type, m.seq, m.ctype, m.method, m.args], m.tags);
  }
}

function appendTags(array: unknown[], tags: unknown): unknown[] {
  if (tags !== undefined && tags !== null) array.push(tags);
  return array;
}

/**
 * The payload of a call whose args are already encoded: the header `[0, seq, method` is encoded
 * here and `argsBytes` (the msgpack of the args array) is spliced in after it, so a broadcast is
 * encoded once and only this small header differs per connection.
 * Returns the header; the payload is the header followed by `argsBytes`.
 */
export function encodeCallHeader(seq: number, method: string): Uint8Array {
  const header = encodeCanonical([MESSAGE_TYPE.call, seq, method]);
  // A 3-element fixarray (0x93) becomes the 4-element call array (0x94) once args follow.
  header[0] = 0x94;
  return header;
}
