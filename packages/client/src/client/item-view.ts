/**
 * Items and out-of-band messages as the high-level API shows them: hex IDs, bodies as bytes with
 * `text()` and `json()`, times as JS Dates. Also the one encoder of bodies given by applications
 * (a string is UTF-8, bytes are kept, anything else is JSON). Browser-safe.
 */
import { gregorError } from '../errors.js';
import type { Item, ItemAndMetadata } from '../protocol/index.js';
import { toHex } from '../protocol/index.js';
import { hasExpiredAt, reminderSlots, resolveTimeOrOffset } from '../state/internal.js';

/** A JSON value, as `JSON.stringify` takes it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/**
 * A body as an application gives it: a string (sent as UTF-8), bytes (sent as they are), or any
 * other JSON value (sent as the UTF-8 of `JSON.stringify`). To send a JSON *string*, stringify it
 * yourself: a string is always taken as text.
 */
export type BodyInput = string | Uint8Array | JsonValue;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The bytes of `body` (see BodyInput). Throws GREGOR_ERR_INPUT_INVALID for a non-JSON value. */
export function encodeBody(body: BodyInput): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return utf8Encoder.encode(body);
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (err) {
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'the body cannot be turned into JSON', {
      cause: err,
    });
  }
  if (json === undefined) {
    throw gregorError(
      'GREGOR_ERR_INPUT_INVALID',
      `a body must be a string, a Uint8Array or a JSON value, not ${typeof body}`,
    );
  }
  return utf8Encoder.encode(json);
}

/** A body with its decoders. */
export class BodyView {
  /** The raw body. */
  readonly body: Uint8Array;

  constructor(body: Uint8Array) {
    this.body = body;
  }

  /** The body as UTF-8 text (invalid sequences become U+FFFD). */
  text(): string {
    return utf8Decoder.decode(this.body);
  }

  /** The body parsed as JSON; throws GREGOR_ERR_INPUT_INVALID when it is not JSON. */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (err) {
      throw gregorError('GREGOR_ERR_INPUT_INVALID', 'the body is not JSON', { cause: err });
    }
  }
}

/** What a GregorItem is made of. */
export interface GregorItemFields {
  id: string;
  category: string;
  body: Uint8Array;
  ctime: Date;
  expireAt: Date | undefined;
  remindAt: readonly Date[];
  deviceId: string | undefined;
}

/** One live item of the user (see `Gregor.items`). */
export class GregorItem extends BodyView {
  /** The item's ID (the msgID of the message that created it), lowercase hex. */
  readonly id: string;
  readonly category: string;
  /** When the server stored it. */
  readonly ctime: Date;
  /** When it expires (it is then no longer live), if it does. */
  readonly expireAt: Date | undefined;
  /** Its reminder times, oldest first; empty when it has none or when they are not known here. */
  readonly remindAt: readonly Date[];
  /** The device it is for (lowercase hex), or undefined when it is for all the user's devices. */
  readonly deviceId: string | undefined;

  constructor(fields: GregorItemFields) {
    super(fields.body);
    this.id = fields.id;
    this.category = fields.category;
    this.ctime = fields.ctime;
    this.expireAt = fields.expireAt;
    this.remindAt = fields.remindAt;
    this.deviceId = fields.deviceId;
  }

  /** True when the item has expired at `now` (ms), by the state rules' expiry test. */
  isExpiredAt(now: number): boolean {
    return hasExpiredAt(this.expireAt?.getTime() ?? null, now);
  }
}

/** An out-of-band message: a notice for the user's connected devices, never stored. */
export class OutOfBandView extends BodyView {
  /** The system it is addressed to (the application's own channel name). */
  readonly system: string;

  constructor(system: string, body: Uint8Array) {
    super(body);
    this.system = system;
  }
}

/**
 * The view of a state entry. A state carries only an absolute expiry and no reminder times
 * (Keybase's MakeItem), so `creation`, the item as its creation message carried it when this device
 * has that message, supplies an expiry given as an offset and the reminder times.
 */
export function itemView(entry: ItemAndMetadata, creation?: Item): GregorItem | undefined {
  const { md, item } = entry;
  if (md === undefined || item === undefined) return undefined;
  const expire =
    resolveTimeOrOffset(item.dtime, md.ctime) ??
    (creation === undefined ? null : resolveTimeOrOffset(creation.dtime, md.ctime));
  const reminders = reminderSlots(md.ctime, (creation ?? item).remindTimes)
    .map((slot) => slot.rtime)
    .sort((a, b) => a - b);
  return new GregorItem({
    id: toHex(md.msgID),
    category: item.category,
    body: item.body ?? new Uint8Array(0),
    ctime: new Date(md.ctime),
    expireAt: expire === null ? undefined : new Date(expire),
    remindAt: reminders.map((t) => new Date(t)),
    deviceId: md.deviceID === null ? undefined : toHex(md.deviceID),
  });
}

/** A time given as a Date or ms since the epoch, as ms; GREGOR_ERR_INPUT_INVALID otherwise. */
export function toMs(t: Date | number, what: string): number {
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
    throw gregorError(
      'GREGOR_ERR_INPUT_INVALID',
      `${what} must be a valid Date or a positive integer of ms since the epoch`,
    );
  }
  return ms;
}
