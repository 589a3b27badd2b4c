/**
 * Acknowledged writes: the promise of a high-level write settles when the server answers the
 * outbox's consumeMessage for that message (stored: resolve; refused for good: reject with the
 * server's typed error), however long the message waits in the outbox for a connection. An abort
 * signal or a timeout rejects it early and withdraws the message from the outbox unless it is
 * being sent at that moment. Browser-safe.
 */
import { type GregorError, gregorError } from '../errors.js';
import { type Message, type MsgID, toHex } from '../protocol/index.js';
import { inBandMsgID } from './local-replica.js';
import { type Deferred, deferred } from './serial.js';
import type { Timers } from './timers.js';

/** How a write waits (see docs/client.md "Acknowledged writes"). */
export interface WriteOptions {
  /**
   * Resolve as soon as the message is queued in the outbox (and saved with the storage), without
   * waiting for the server. @default false
   */
  queued?: boolean;
  /** Stop waiting when aborted; see `timeoutMs` for what happens to the message. */
  signal?: AbortSignal;
  /**
   * Stop waiting after this many ms. The promise rejects (GREGOR_ERR_TIMEOUT, or
   * GREGOR_ERR_ABORTED for the signal); the message is removed from the outbox if it has not been
   * sent yet, and otherwise (it is on its way) the server may still store it.
   */
  timeoutMs?: number;
}

function hexOf(m: Message): string | undefined {
  const msgID = inBandMsgID(m);
  return msgID === undefined ? undefined : toHex(msgID);
}

/** The writes waiting for the server, by hex msgID. */
export class WriteAcks {
  readonly #waiting = new Map<string, Deferred<void>>();
  readonly #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** Writes still waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Start waiting for `msgID`; call before the message is queued, so no answer is missed. */
  expect(msgID: MsgID): void {
    const d = deferred<void>();
    // Marked handled: a write given up on still settles later, with nobody listening.
    d.promise.catch(() => undefined);
    this.#waiting.set(toHex(msgID), d);
  }

  /** Stop waiting for `msgID` (it was never queued). */
  forget(msgID: MsgID): void {
    this.#waiting.delete(toHex(msgID));
  }

  /** The server stored `m` (or already had its item). */
  acknowledged(m: Message): void {
    this.#settle(m, (d) => d.resolve());
  }

  /** The server refused `m` for good. */
  rejected(m: Message, err: GregorError): void {
    this.#settle(m, (d) => d.reject(err));
  }

  /** Reject every waiting write with `err` (the client closed). */
  rejectAll(err: GregorError): void {
    for (const d of this.#waiting.values()) d.reject(err);
    this.#waiting.clear();
  }

  /**
   * Resolves when the server has stored `msgID`. On abort or timeout, `withdraw` is asked to take
   * the message out of the outbox, and the promise rejects saying whether it did.
   */
  wait(
    msgID: MsgID,
    opts: WriteOptions,
    withdraw: (msgID: MsgID) => Promise<boolean>,
  ): Promise<void> {
    const hex = toHex(msgID);
    const ack = this.#waiting.get(hex);
    if (ack === undefined) return Promise.resolve();
    const { signal, timeoutMs } = opts;
    if (signal === undefined && timeoutMs === undefined) return ack.promise;
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const cleanup = (): void => {
        this.#timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (code: 'GREGOR_ERR_ABORTED' | 'GREGOR_ERR_TIMEOUT', what: string): void => {
        cleanup();
        withdraw(msgID).then(
          (isRemoved) => {
            if (isRemoved) this.#waiting.delete(hex);
            const fate = isRemoved
              ? 'the message was removed from the outbox and will not be sent'
              : 'the message was already on its way: the server may still store it';
            reject(gregorError(code, `${what}; ${fate}`, { cause: signal?.reason }));
          },
          (err: unknown) => reject(err),
        );
      };
      const onAbort = (): void => giveUp('GREGOR_ERR_ABORTED', 'write aborted');
      if (timeoutMs !== undefined) {
        timer = this.#timers.setTimeout(
          () => giveUp('GREGOR_ERR_TIMEOUT', `write not acknowledged within ${timeoutMs} ms`),
          timeoutMs,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      ack.promise.then(
        () => {
          cleanup();
          resolve();
        },
        (err: unknown) => {
          cleanup();
          reject(err);
        },
      );
    });
  }

  #settle(m: Message, settle: (d: Deferred<void>) => void): void {
    const hex = hexOf(m);
    const d = hex === undefined ? undefined : this.#waiting.get(hex);
    if (hex === undefined || d === undefined) return;
    this.#waiting.delete(hex);
    settle(d);
  }
}
