/**
 * The last stage: write the message to every local connection of its user, the sender included
 * (gregor-protocol.md §6.4). The bytes are encoded once for all of them. Each connection handles
 * its own timeout and write-buffer bound, so a stuck one never delays the others; writing happens
 * inside the user's mailbox job, so every connection gets the user's messages in consume order
 * (ARCHITECTURE.md rule 4).
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
