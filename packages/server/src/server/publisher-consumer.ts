/**
 * The second stage: hand the message to the other instances through the bus (Keybase's
 * Publisher). It publishes the broadcast bytes the broadcaster
 * uses, so other instances splice them into their connections' frames without re-encoding.
 *
 * The publication is started in order, inside the user's mailbox job (so the bus sees a user's
 * messages in consume order, rule 4), but not waited for: a slow or broken bus must not hold up
 * the user's consumes. A failure is counted and logged, never returned to the consumer.
 */

import { toHex } from 'gregor-client/protocol';
import type { Logger } from 'pino';
import type { Bus } from '../pubsub/index.js';
import type { Delivery } from './delivery.js';
import type { ServerMetrics } from './metrics.js';
import type { PipelineConsumer } from './pipeline.js';

/** Publishes each consumed message for the other instances. */
export class PublisherConsumer implements PipelineConsumer {
  readonly name = 'publisher';
  readonly isCritical = false;
  readonly #bus: Bus;
  readonly #metrics: ServerMetrics;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(bus: Bus, metrics: ServerMetrics, logger: Logger) {
    this.#bus = bus;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** Publications started and not yet settled. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  consume(delivery: Delivery): void {
    const uid = delivery.uid;
    const done = this.#bus.publish(uid, delivery.encoded).catch((err: unknown) => {
      this.#metrics.busPublishFailures.inc();
      this.#logger.warn({ err, uid: toHex(uid) }, 'bus publish failed');
    });
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  /** Resolve once every publication started so far has settled (used by close). */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }
}
