/**
 * Long synchronous work on the main thread cut into slices of time, with the event loop let run
 * between them, so that one large read (better-sqlite3 is synchronous; decoding and sorting 100k
 * rows is CPU work in any dialect) never holds every other connection for long.
 *
 * Slices are bounded by time, not by a count of rows: rows vary from a few bytes to megabytes, and
 * a yield per few hundred small rows cost more than the rows themselves.
 */

/**
 * Work done before the event loop runs again, in ms: long enough that the yields cost little,
 * short enough that other connections wait at most about this long behind one read.
 */
export const READ_SLICE_MS = 8;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The clock of one piece of sliced work: check `due` often, and `await next()` when it is. */
export class TimeSlices {
  readonly #sliceMs: number;
  #end: number;

  constructor(sliceMs = READ_SLICE_MS) {
    this.#sliceMs = sliceMs;
    this.#end = performance.now() + sliceMs;
  }

  /** True once the current slice has used its time. */
  get due(): boolean {
    return performance.now() >= this.#end;
  }

  /** Let the event loop run, then start a new slice. */
  async next(): Promise<void> {
    await yieldToEventLoop();
    this.#end = performance.now() + this.#sliceMs;
  }
}
