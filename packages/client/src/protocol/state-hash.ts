/**
 * MakeState ordering and the state hash (docs/data-model.md, "The state hash").
 * The hash is SHA-256 over the canonical msgpack of the State; both ends must sort identically.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { ItemAndMetadata, State } from './records.js';
import { encodeState } from './wire.js';

const EMPTY = new Uint8Array(0);

/** Lexicographic byte comparison (Go's bytes.Compare). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when two byte strings are equal. */
export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * MakeState order on an item's two keys: ctime ascending, then msgID bytes. Exported items
 * (`compareStateItems`) and the engines' item records (`stateOfItems`) both sort by it.
 */
export function compareCTimeThenMsgID(
  aCTime: number,
  aMsgID: Uint8Array,
  bCTime: number,
  bMsgID: Uint8Array,
): number {
  return aCTime - bCTime || compareBytes(aMsgID, bMsgID);
}

/** MakeState order of exported items; a missing md sorts as ctime 0, a missing msgID first. */
export function compareStateItems(a: ItemAndMetadata, b: ItemAndMetadata): number {
  return compareCTimeThenMsgID(
    a.md?.ctime ?? 0,
    a.md?.msgID ?? EMPTY,
    b.md?.ctime ?? 0,
    b.md?.msgID ?? EMPTY,
  );
}

/** Build a State the way MakeState does: items sorted, the array always present. */
export function makeState(items: Iterable<ItemAndMetadata>): State {
  return { items: [...items].sort(compareStateItems) };
}

/** SHA-256 of the canonical encoding of `state` (which should come from `makeState`). */
export function stateHash(state: State): Uint8Array {
  return sha256(encodeState(state));
}
