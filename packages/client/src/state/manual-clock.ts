/**
 * A Clock that moves only when told to: for tests of the time rules and for simulations. Rule
 * code reads time only through a Clock, so a test decides what "now" is.
 */
import type { Clock } from './interfaces.js';

/** A settable Clock; times are ms since the Unix epoch. */
export class ManualClock implements Clock {
  #nowMs: number;

  /** @param startMs the initial time, ms since the epoch. */
  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  /** The current time, ms. */
  now(): number {
    return this.#nowMs;
  }

  /** Move to `ms` (backwards too). */
  set(ms: number): void {
    this.#nowMs = ms;
  }

  /** Move forward by `deltaMs` (negative moves back). */
  advance(deltaMs: number): void {
    this.#nowMs += deltaMs;
  }
}
