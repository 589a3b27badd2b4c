/**
 * The last stage: write the message to every local connection of its user, the sender included
 * (docs/architecture.md, "6. Every device"). The bytes are encoded once for all of them. Each
 * connection handles its own timeout and write-buffer bound, so a stuck one never delays the
 * others; writing happens inside the user's mailbox job, so every connection gets the user's
 * messages in consume order (docs/architecture.md, "The four rules", rule 4).
 */
import type { Delivery } from './delivery.js';
import type { PipelineConsumer } from './pipeline.js';

/** Fans each message out to the user's local connections. */
export class BroadcasterConsumer implements PipelineConsumer {
  readonly name = 'broadcaster';
  readonly isCritical = false;

  consume(delivery: Delivery): void {
    const actor = delivery.recipients;
    if (actor === undefined || actor.size === 0) return;
    actor.deliver(delivery.encoded);
  }
}
