/**
 * A bound on the size of one read's answer, checked while the answer is built: an answer that
 * would not fit in one rpc frame is refused with GREGOR_ERR_RESULT_TOO_LARGE as soon as the rows
 * read so far pass the bound, instead of after the whole answer has been built and encoded (a
 * user with 1,500 items of 64 KiB once cost 100 MB per `state` before the frame check refused it).
 *
 * Sizes are upper estimates of the msgpack encoding, from the stored lengths, so a read never
 * encodes anything twice.
 */
import { gregorError } from '../errors.js';
import type { ItemRecord } from './item-rules.js';

/**
 * Encoded bytes of one state item besides its IDs, category and body: the field names, the
 * integers at their widest and the length headers at their widest (measured: 126 with 1-byte
 * headers; 5 variable fields may each need 3 more).
 */
export const STATE_ITEM_FIXED_WIRE_BYTES = 144;
/** Fewest encoded bytes any state item takes; bounds how many rows a read may fetch. */
export const MIN_STATE_ITEM_WIRE_BYTES = 64;
/** Encoded bytes a logged message may take besides its stored canonical bytes (array headers). */
export const MESSAGE_ENTRY_WIRE_BYTES = 8;
/** Fewest stored bytes of any logged message. */
export const MIN_MESSAGE_WIRE_BYTES = 16;
/** The rpc response around an answer: frame prefix, [type, seqno, error, result], map headers. */
export const RESULT_ENVELOPE_BYTES = 64;

/** UTF-8 length of `s`, without encoding it (browser-safe). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Upper estimate of the encoded size of `item` in a State. */
export function stateItemWireBytes(
  item: Pick<ItemRecord, 'uid' | 'msgID' | 'deviceID' | 'category' | 'body'>,
): number {
  return (
    STATE_ITEM_FIXED_WIRE_BYTES +
    item.uid.length +
    item.msgID.length +
    (item.deviceID?.length ?? 0) +
    utf8Length(item.category) +
    (item.body?.length ?? 0)
  );
}

/** Counts the bytes of an answer as it is built; see the file header. */
export class ResultBudget {
  readonly #maxBytes: number;
  readonly #what: string;
  #bytes = RESULT_ENVELOPE_BYTES;

  /** `maxBytes` undefined: no bound. `what` names the read in the error. */
  constructor(maxBytes: number | undefined, what: string) {
    this.#maxBytes = maxBytes ?? Number.POSITIVE_INFINITY;
    this.#what = what;
  }

  /** Most rows of at least `minRowBytes` each that can fit, plus one to see the bound passed. */
  maxRows(minRowBytes: number): number | undefined {
    if (!Number.isFinite(this.#maxBytes)) return undefined;
    return Math.floor(this.#maxBytes / minRowBytes) + 1;
  }

  /** Count `bytes` more; throws GREGOR_ERR_RESULT_TOO_LARGE once the total passes the bound. */
  add(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes > this.#maxBytes) {
      throw gregorError(
        'GREGOR_ERR_RESULT_TOO_LARGE',
        `${this.#what}: the answer passes ${this.#maxBytes} bytes, the largest frame; read less at once`,
      );
    }
  }

  /** Count one state item. */
  addItem(item: Parameters<typeof stateItemWireBytes>[0]): void {
    this.add(stateItemWireBytes(item));
  }
}
