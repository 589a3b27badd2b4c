/**
 * Reads what the subscriber connection receives: unwraps the envelope, drops this instance's own
 * envelopes, and dispatches publications to local subscribers and query traffic to the gather
 * bookkeeping. One listener serves every channel, so no closure is made per uid (an instance
 * may hold 100,000 of them).
 */
import type { BusCore } from './bus-core.js';
import {
  decodeEnvelope,
  decodeUidList,
  ENVELOPE_KIND,
  type Envelope,
  sameBytes,
} from './envelope.js';

/** The node-redis buffer-mode pub/sub listener of one Redis bus. */
export class RedisReceiver {
  readonly #core: BusCore;
  readonly #onGatherRequest: (env: Envelope) => void;

  /**
   * Pass to node-redis `subscribe`/`sSubscribe(channels, listener, true)`; the same function for
   * every channel.
   */
  readonly listener = (message: Buffer, channel: Buffer): void => {
    // This runs inside node-redis's reply parser: nothing may throw out of it.
    try {
      this.#receive(message, channel);
    } catch (err) {
      this.#core.handlerFailed(err, 'redis receive');
    }
  };

  constructor(core: BusCore, onGatherRequest: (env: Envelope) => void) {
    this.#core = core;
    this.#onGatherRequest = onGatherRequest;
  }

  #receive(message: Buffer, channel: Buffer): void {
    const counters = this.#core.counters;
    const env = decodeEnvelope(message);
    if (env === undefined) {
      counters.malformed++;
      return;
    }
    if (sameBytes(env.origin, this.#core.origin)) {
      counters.droppedOwn++;
      return;
    }
    switch (env.kind) {
      case ENVELOPE_KIND.message:
        this.#core.deliver(channel.toString(), env.body);
        return;
      case ENVELOPE_KIND.gatherRequest:
        this.#onGatherRequest(env);
        return;
      case ENVELOPE_KIND.gatherAnswer:
        this.#core.gathers.reply(env.requestId, env.body);
        return;
      case ENVELOPE_KIND.gatherDecline:
        this.#core.gathers.reply(env.requestId, null);
        return;
      case ENVELOPE_KIND.announcement:
        this.#core.announced(env.body);
        return;
      case ENVELOPE_KIND.resyncRequest:
        this.#core.emitResync(decodeUidList(env.body));
        return;
    }
  }
}
