/**
 * Records → the shape go-codec writes (docs/data-model.md, "The state hash": maps, absent and
 * empty).
 *
 * Go peers send nil for empty and nil slices, so an empty array becomes nil (`0xc0`). The one
 * exception is `State.items`: MakeState always builds a non-nil slice, so an empty state encodes
 * `81 a5 'items' 90`, and the state hash depends on it (the empty-state vector).
 */
import { encodeCanonical } from './codec.js';
import type { State } from './records.js';

/** Deep-copy `value` into the Go wire shape: empty arrays become null; bytes are kept as they are. */
export function toGoShape(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map(toGoShape);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) out[key] = toGoShape(field);
  }
  return out;
}

/** The wire shape of a State: its items array stays an array even when empty. */
export function stateToWire(state: State): unknown {
  return { items: state.items.map(toGoShape) };
}

/** Canonical bytes of a record (not a State: use `encodeState`). */
export function encodeRecord(value: unknown): Uint8Array {
  return encodeCanonical(toGoShape(value));
}

/** Canonical bytes of a State, as hashed by `stateHash`. */
export function encodeState(state: State): Uint8Array {
  return encodeCanonical(stateToWire(state));
}
