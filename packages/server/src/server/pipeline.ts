/**
 * Pipeline: the ordered message consumers of gregord (docs/architecture.md, "The four rules", rule
 * 1; Keybase's `MessageConsumer` list, Storage → Publisher → Broadcaster).
 *
 * A message runs through every consumer in order. When a consumer fails, the later ones still
 * run, except when a *critical* consumer fails (persisting): then nothing after it runs, because
 * publishing or broadcasting a message that was not stored would leave a state no client can
 * recover by syncing, and the caller gets the error.
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
    for (const consumer of this.#consumers) {
      try {
        await consumer.consume(delivery);
      } catch (err) {
        if (consumer.isCritical) throw err;
        this.#onFailure(consumer, err, delivery);
      }
    }
  }
}
