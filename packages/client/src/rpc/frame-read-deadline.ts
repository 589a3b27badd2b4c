/**
 * The deadline of a frame in progress: once a frame's first byte has arrived, its last must follow
 * within `timeoutMs`. Without it a peer that sends a large length prefix and then a trickle (or
 * nothing) keeps what it sent buffered, up to maxFrameBytes per connection, for as long as it
 * likes, before login or after. The deadline counts from each frame's first byte and is not reset
 * by every chunk, so a trickle does not keep it alive. While the session pauses reading
 * (back-pressure), the wait is ours, not the peer's, and the deadline is off.
 */

/** Told when a frame missed its deadline. */
export type OnFrameReadTimeout = (timeoutMs: number) => void;

function expire(deadline: FrameReadDeadline): void {
  deadline.expire();
}

/** One session's frame deadline; see the file header. */
export class FrameReadDeadline {
  readonly #timeoutMs: number;
  readonly #onTimeout: OnFrameReadTimeout;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The decoder's frame count when the timer was armed: another frame completed resets it. */
  #framesRead = 0;

  /** @param timeoutMs 0 for no deadline. */
  constructor(timeoutMs: number, onTimeout: OnFrameReadTimeout) {
    this.#timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
  }

  /**
   * After reading: `isMidFrame` says a frame is partly received and reading is not paused;
   * `framesRead` is the decoder's count of completed frames.
   */
  update(isMidFrame: boolean, framesRead: number): void {
    if (this.#timeoutMs === 0) return;
    if (framesRead !== this.#framesRead) {
      this.#framesRead = framesRead;
      this.stop();
    }
    if (!isMidFrame) this.stop();
    else if (this.#timer === undefined) {
      // The instance rides as the timer's argument: no closure per armed frame.
      this.#timer = setTimeout(expire, this.#timeoutMs, this);
    }
  }

  /** Clear the timer (a frame completed, reading paused, or the session closed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** @internal The timer fired. */
  expire(): void {
    this.#timer = undefined;
    this.#onTimeout(this.#timeoutMs);
  }
}
