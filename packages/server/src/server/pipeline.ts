/**
 * Pipeline: the ordered message consumers of gregord (docs/architecture.md, "The four rules", rule
 * 1; Keybase's `MessageConsumer` list, Storage → Publisher → Broadcaster).
 *
 * A message runs through every consumer in order. When a consumer fails, the later ones still
 * run, except when a *critical* consumer fails (persisting): then nothing after it runs, because
 * publishing or broadcasting a message that was not stored would leave a state no client can
 * recover by syncing, and the caller gets the error.
 *
 * A batch (one user's queued consumes, taken together by its mailbox lane) runs stage by stage:
 * each stage is handed every delivery still going, in order, without waiting in between, and the
 * next stage starts once all of them settled. So the storage calls of a batch reach the engine at
 * once, in order, and share a commit (an engine applies calls in the order they were made); a
 * delivery whose critical stage failed drops out alone; the publisher and the broadcaster still
 * see the others in order (rule 4).
 */
import type { Delivery } from './delivery.js';

/** One stage of the pipeline. */
export interface PipelineConsumer {
  /** For logs and metrics (`storage`, `publisher`, `broadcaster`). */
  readonly name: string;
  /** When true, a failure stops the pipeline and is returned to the caller (rule 1). */
  readonly isCritical: boolean;
  /** Handle `delivery`; may replace `delivery.message` (storage stamps ctime). */
  consume(delivery: Delivery): Promise<void> | void;
}

/** Told about the failure of a non-critical consumer; the pipeline went on. */
export type ConsumerFailureListener = (
  consumer: PipelineConsumer,
  err: unknown,
  delivery: Delivery,
) => void;

/** Runs each message through its consumers, in order. */
export class Pipeline {
  readonly #consumers: readonly PipelineConsumer[];
  readonly #onFailure: ConsumerFailureListener;

  constructor(consumers: readonly PipelineConsumer[], onFailure: ConsumerFailureListener) {
    this.#consumers = [...consumers];
    this.#onFailure = onFailure;
  }

  /** The consumers, in order. */
  get consumers(): readonly PipelineConsumer[] {
    return this.#consumers;
  }

  /**
   * Run `delivery` through every consumer. Rejects with a critical consumer's error (and runs
   * none after it); resolves when every other consumer succeeded or failed.
   */
  async run(delivery: Delivery): Promise<void> {
    const [outcome] = await this.runBatch([delivery]);
    if (outcome!.status === 'rejected') throw outcome!.reason;
  }

  /**
   * Run `deliveries` (one user's, in order) through the consumers, stage by stage (see the file
   * header). Resolves with one outcome per delivery, in order: rejected with the error of its
   * critical consumer that failed, fulfilled otherwise.
   */
  async runBatch(deliveries: readonly Delivery[]): Promise<PromiseSettledResult<void>[]> {
    const outcomes: PromiseSettledResult<void>[] = deliveries.map(() => FULFILLED);
    let going = deliveries.map((_, i) => i);
    for (const consumer of this.#consumers) {
      // Called one after another in order, then awaited together: the calls themselves keep the
      // order, and a storage stage gets the whole batch before the first answer. A stage that
      // finished every call at once (the publisher and the broadcaster) is not awaited.
      const started = going.map((i) => start(consumer, deliveries[i]!));
      if (started.every((p) => p === undefined)) continue;
      const settled = await Promise.allSettled(started);
      settled.forEach((s, k) => {
        if (s.status === 'fulfilled') return;
        const i = going[k]!;
        if (consumer.isCritical) outcomes[i] = s;
        else this.#onFailure(consumer, s.reason, deliveries[i]!);
      });
      going = going.filter((i) => outcomes[i] === FULFILLED);
    }
    return outcomes;
  }
}

const FULFILLED: PromiseFulfilledResult<void> = { status: 'fulfilled', value: undefined };

/**
 * Start `consumer` on `delivery`: undefined when it finished at once, else the promise of its
 * outcome (a synchronous throw becomes a rejected one).
 */
function start(consumer: PipelineConsumer, delivery: Delivery): Promise<void> | undefined {
  try {
    const done = consumer.consume(delivery);
    return done === undefined ? undefined : Promise.resolve(done);
  } catch (err) {
    return Promise.reject(err);
  }
}
