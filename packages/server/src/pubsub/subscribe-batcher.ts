/**
 * Coalesces the SUBSCRIBEs asked for within one tick into one command per batch. When a gregord
 * restarts, its users reconnect in a burst; for 100k uids, one SUBSCRIBE each took 3–4 times as
 * long as batches here (docs/pubsub.md, "Why per-uid channels").
 */

/** Sends one batch; must never reject. */
export type SendBatch = (channels: string[]) => Promise<void>;

/** Collects channels until the end of the current microtask queue, then sends them together. */
export class SubscribeBatcher {
  readonly #send: SendBatch;
  #channels: string[] = [];
  #batch: Promise<void> | undefined;

  constructor(send: SendBatch) {
    this.#send = send;
  }

  /** Queue `channel`; resolves when the batch holding it has been sent and answered. */
  add(channel: string): Promise<void> {
    this.#channels.push(channel);
    this.#batch ??= new Promise<void>((resolve) => {
      queueMicrotask(() => {
        const channels = this.#channels;
        this.#channels = [];
        this.#batch = undefined;
        resolve(this.#send(channels));
      });
    });
    return this.#batch;
  }
}
