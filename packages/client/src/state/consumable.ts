/**
 * What kind of message an engine is asked to consume, checked just enough that a message with
 * missing parts is rejected with a typed error rather than a TypeError. Full validation is the
 * server's job (`validateConsumeMessage`).
 */
import { gregorError } from '../errors.js';
import {
  decodeMessage,
  type InBandMessage,
  type Message,
  type Metadata,
  type StateUpdateMessage,
} from '../protocol/index.js';

/** A message sorted by what the state machine does with it. */
export type Consumable =
  | { readonly kind: 'oobm'; readonly message: Message }
  | { readonly kind: 'update'; readonly md: Metadata; readonly update: StateUpdateMessage }
  | { readonly kind: 'sync'; readonly md: Metadata };

function invalid(what: string): never {
  throw gregorError('GREGOR_ERR_INPUT_INVALID', `consume: ${what}`);
}

/**
 * Normalise `m` into a private copy (the tolerant protocol decoder, so absent arrays become []) and
 * classify it. Rejects with GREGOR_ERR_INPUT_INVALID a message with neither part, an in-band
 * message with neither stateUpdate nor stateSync, or metadata without uid or msgID. An in-band
 * part wins over an out-of-band one, as in Mem's ConsumeMessage.
 */
export function classifyMessage(m: Message): Consumable {
  const copy = decodeMessage(m, 'message');
  const ibm = copy.ibm;
  if (ibm === undefined) {
    if (copy.oobm === undefined) invalid('message has neither ibm nor oobm');
    return { kind: 'oobm', message: m };
  }
  const update = ibm.stateUpdate;
  const md = inBandMetadata(ibm);
  if (md === undefined) invalid('in-band message has neither stateUpdate nor stateSync');
  if (md.uid.length === 0) invalid('bad metadata: nil UID');
  if (md.msgID.length === 0) invalid('bad metadata: nil MsgID');
  return update === undefined ? { kind: 'sync', md } : { kind: 'update', md, update };
}

/** The metadata of an in-band message (its stateUpdate's, else its stateSync's), if any. */
export function inBandMetadata(ibm: InBandMessage): Metadata | undefined {
  return ibm.stateUpdate?.md ?? ibm.stateSync?.md;
}
