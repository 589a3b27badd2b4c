/**
 * The outbox loop (docs/client.md, "The outbox loop"). A local in-band write is queued in the
 * replica's outbox, not applied; this loop sends the queue to the server in order, every
 * `intervalMs` and whenever poked, and the server's broadcast brings each message back into the
 * local state. The queue is saved with the state, so it outlives connections and restarts.
 */
import { type GregorError, isGregorError } from '../errors.js';
import { type Message, type MsgID, toHex } from '../protocol/index.js';
import type { ClientLogger } from './client-logger.js';
import { runInBackground } from './client-logger.js';
import { inBandMsgID, type LocalReplica } from './local-replica.js';
import type { Remote } from './remote.js';
import { Coalescing } from './serial.js';
import { setBackgroundTimeout, type Timers } from './timers.js';

/** Keybase's outbox period: once a minute. */
export const DEFAULT_OUTBOX_INTERVAL_MS = 60_000;

/** What the outbox needs around it. */
export interface OutboxOptions {
  replica: LocalReplica;
  /** Sends one message to the server (`consumeMessage`). */
  send: (remote: Remote, m: Message) => Promise<void>;
  /** The remote to use on timer and poke passes: undefined while not connected. */
  remote: () => Remote | undefined;
  /** The server refused a message for good; it has been dropped from the outbox. */
  onRejected: (m: Message, err: GregorError) => void;
  /**
   * The server has a message: it answered its consumeMessage, or its item was already in the
   * state. The message has been dropped from the outbox.
   */
  onAcknowledged?: (m: Message) => void;
  timers: Timers;
  /** @default DEFAULT_OUTBOX_INTERVAL_MS */
  intervalMs?: number;
  logger: ClientLogger;
}

/** What one pass did. */
export interface OutboxPass {
  /** Messages sent and removed. */
  sent: number;
  /** Messages left in the outbox. */
  left: number;
}

/**
 * The server said the message itself is wrong (it failed validation or a size limit), or that the
 * user's quota has no room for it: sending it again fails again (a full quota empties only through
 * dismissals, which queue behind it), and the loop stops at a failure, so keeping it would block
 * every later message.
 */
function isRefusedForGood(err: unknown): err is GregorError {
  return (
    isGregorError(err, 'GREGOR_ERR_INPUT_INVALID') ||
    isGregorError(err, 'GREGOR_ERR_INPUT_TOO_LARGE') ||
    isGregorError(err, 'GREGOR_ERR_QUOTA_EXCEEDED')
  );
}

function isQueued(replica: LocalReplica, hex: string): boolean {
  return replica.outbox().some((q) => {
    const id = inBandMsgID(q);
    return id !== undefined && toHex(id) === hex;
  });
}

/** The outbox loop of one client. */
export class Outbox {
  readonly #opts: OutboxOptions;
  readonly #intervalMs: number;
  readonly #passes = new Coalescing<OutboxPass>();
  #timer: unknown;
  #isRunning = false;
  /** The hex msgID of the message being sent, if any. */
  #sending: string | undefined;

  constructor(options: OutboxOptions) {
    this.#opts = options;
    this.#intervalMs = options.intervalMs ?? DEFAULT_OUTBOX_INTERVAL_MS;
  }

  /** Start the periodic passes (idempotent). The timer does not keep the process alive. */
  start(): void {
    if (this.#isRunning) return;
    this.#isRunning = true;
    this.#arm();
  }

  /** Stop the periodic passes; a pass under way finishes. */
  stop(): void {
    this.#isRunning = false;
    this.#opts.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Ask for a pass soon (after a local consume and after a sync). */
  poke(): void {
    runInBackground(this.drain(), this.#opts.logger, 'outbox pass');
  }

  /**
   * Run a pass over `remote` (default: the connected one; none means no pass). Passes run one at a
   * time; asking while one waits to start joins it. Resolves with what the pass did.
   */
  drain(remote?: Remote): Promise<OutboxPass> {
    return this.#passes.run(() => this.#pass(remote ?? this.#opts.remote()));
  }

  /**
   * Remove the in-band message `msgID` from the outbox unless it is being sent right now (its
   * fate is then the server's). Resolves true when it was removed, once that is saved.
   */
  async withdraw(msgID: MsgID): Promise<boolean> {
    const { replica } = this.#opts;
    const hex = toHex(msgID);
    if (this.#sending === hex) return false;
    if (!isQueued(replica, hex)) return false;
    replica.removeFromOutbox(msgID);
    await replica.save();
    return true;
  }

  #arm(): void {
    this.#timer = setBackgroundTimeout(
      this.#opts.timers,
      () => {
        if (!this.#isRunning) return;
        this.#arm();
        this.poke();
      },
      this.#intervalMs,
    );
  }

  /**
   * Walk the outbox in order; skip what is not in-band; an in-band message whose msgID is
   * already an item has reached the server (its answer was lost, its broadcast was not), so it is
   * dropped unsent; send the others one by one, removing each on success and stopping at the first
   * failure. Then save.
   */
  async #pass(remote: Remote | undefined): Promise<OutboxPass> {
    const { replica, logger } = this.#opts;
    if (remote === undefined) return { sent: 0, left: replica.outbox().length };
    const items = new Set(
      (await replica.state()).items.map((i) => (i.md === undefined ? '' : toHex(i.md.msgID))),
    );
    let sent = 0;
    for (const m of replica.outbox()) {
      const msgID = inBandMsgID(m);
      if (msgID === undefined) continue;
      const hex = toHex(msgID);
      // Withdrawn while this pass sent the messages before it.
      if (!isQueued(replica, hex)) continue;
      if (items.has(hex)) {
        replica.removeFromOutbox(msgID);
        this.#opts.onAcknowledged?.(m);
        continue;
      }
      this.#sending = hex;
      try {
        await this.#opts.send(remote, m);
      } catch (err) {
        if (!isRefusedForGood(err)) {
          logger.warn({ err, msgID: toHex(msgID) }, 'outbox send failed; the pass stops here');
          break;
        }
        logger.error({ err, msgID: toHex(msgID) }, 'the server refused an outbox message');
        replica.removeFromOutbox(msgID);
        this.#opts.onRejected(m, err);
        continue;
      } finally {
        this.#sending = undefined;
      }
      replica.removeFromOutbox(msgID);
      this.#opts.onAcknowledged?.(m);
      sent++;
    }
    try {
      await replica.save();
    } catch (err) {
      logger.warn({ err }, 'saving after an outbox pass failed');
    }
    return { sent, left: replica.outbox().length };
  }
}
