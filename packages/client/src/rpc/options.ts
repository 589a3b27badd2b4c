/**
 * The limits of an RPC session, validated once at the edge: one zod schema turns the caller's
 * options into a fully defaulted, frozen object. Every buffer of the layer is bounded by one of
 * these, so no peer can make a session's memory grow without limit.
 */
import { z } from 'zod';
import { parseOptions } from '../errors.js';
import { MAX_LENGTH_PREFIX_BYTES } from './framing.js';

/**
 * Largest frame payload read or written, in bytes. A gregor message is a few KiB; a full `sync`
 * or `state` answer of a busy user can reach MiBs. Go's library allows 100 MiB; 16 MiB keeps a
 * hostile length prefix from pinning much memory per connection.
 */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * Values (containers, map keys, scalars) in one incoming frame. Each costs tens of bytes of heap
 * once decoded, so this, not the frame size, bounds what one frame can make the decoder allocate.
 * A `state` answer of a user with tens of thousands of items stays below it.
 */
export const DEFAULT_MAX_FRAME_VALUES = 1024 * 1024;
/** Deepest nesting of arrays and maps in an incoming frame; a gregor record nests about 8 deep. */
export const DEFAULT_MAX_FRAME_DEPTH = 64;
/** Outgoing calls awaiting a response, per session. */
export const DEFAULT_MAX_PENDING_CALLS = 1024;
/**
 * Incoming calls and notifies whose handlers run at once, per session; reading pauses beyond.
 * While paused, responses from the peer wait too: a handler that awaits a call back to the same
 * peer should not be able to fill every slot, or those calls can only end by timing out.
 */
export const DEFAULT_MAX_CONCURRENT_CALLS = 64;
/** How long an outgoing call waits for its response, in ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/**
 * How long a frame may take from its first byte to its last before the session closes, in ms;
 * 0 for no deadline, the default here (a client reading a large answer over a slow link must not
 * be cut). gregord sets one for its clients' frames, which are small.
 */
export const DEFAULT_FRAME_READ_TIMEOUT_MS = 0;
/** Bytes the transport may hold unsent before the session closes as a slow reader. */
export const DEFAULT_MAX_WRITE_BUFFER_BYTES = 2 * DEFAULT_MAX_FRAME_BYTES;

const positiveInt = z.number().int().positive();

const limitsSchema = z
  .strictObject({
    maxFrameBytes: positiveInt.max(0xffff_ffff).default(DEFAULT_MAX_FRAME_BYTES),
    maxFrameValues: positiveInt.default(DEFAULT_MAX_FRAME_VALUES),
    maxFrameDepth: positiveInt.max(1024).default(DEFAULT_MAX_FRAME_DEPTH),
    maxPendingCalls: positiveInt.default(DEFAULT_MAX_PENDING_CALLS),
    maxConcurrentCalls: positiveInt.default(DEFAULT_MAX_CONCURRENT_CALLS),
    callTimeoutMs: positiveInt.max(0x7fff_ffff).default(DEFAULT_CALL_TIMEOUT_MS),
    maxWriteBufferBytes: positiveInt.default(DEFAULT_MAX_WRITE_BUFFER_BYTES),
    frameReadTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(0x7fff_ffff)
      .default(DEFAULT_FRAME_READ_TIMEOUT_MS),
  })
  .superRefine((v, ctx) => {
    // One frame of the largest size must fit, or every big answer would close the session.
    const minimum = v.maxFrameBytes + MAX_LENGTH_PREFIX_BYTES;
    if (v.maxWriteBufferBytes < minimum) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxWriteBufferBytes'],
        message: `maxWriteBufferBytes (${v.maxWriteBufferBytes}) must be at least maxFrameBytes + ${MAX_LENGTH_PREFIX_BYTES} (${minimum})`,
      });
    }
  });

/** Input form of the limits: every field optional. */
export type RpcLimitsInput = z.input<typeof limitsSchema>;
/** The resolved, frozen limits of a session. */
export type RpcLimits = Readonly<z.output<typeof limitsSchema>>;

const resolved = new WeakSet<object>();

/**
 * Validate and default `input`. Throws GREGOR_ERR_CONFIG_INVALID naming the offending option.
 * Resolving an already resolved object returns it as is, so a listener validates once and its
 * sessions do not pay for it per connection.
 */
export function resolveRpcLimits(input: RpcLimitsInput | RpcLimits = {}): RpcLimits {
  if (resolved.has(input)) return input as RpcLimits;
  const limits = Object.freeze(parseOptions('invalid rpc option', limitsSchema, input));
  resolved.add(limits);
  return limits;
}
