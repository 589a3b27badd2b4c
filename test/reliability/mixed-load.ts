/**
 * The soak scenario's load: each user's sender consumes a mix of in-band messages (creations and
 * dismissals, every acknowledged one recorded in the user's ledger) and out-of-band messages,
 * either as fast as it can (closed loop, to find the peak) or at a fixed total rate (open loop,
 * paced every 20 ms, bounded in flight).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { numberedOOB } from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import type { UserLedger } from './acked-ledger.js';

/** One user of the load: where it sends, and its record of acknowledged in-band messages. */
export interface LoadUser {
  sender: TestClient;
  ledger: UserLedger;
  /**
   * A new logged-in sender, for when the server closed this one: gregord closes a connection
   * that does not answer its broadcasts in time (a slow reader), and a real client reconnects.
   */
  reopen(): Promise<TestClient>;
}

/** Counts of a load phase. */
export interface LoadCounts {
  sent: number;
  acked: number;
  errors: number;
  /** Sends skipped because `maxInFlight` consumes were already waiting (the server fell behind). */
  skipped: number;
  seconds: number;
}

/** Share of the messages that are out-of-band; the rest are in-band. */
const OOB_SHARE = 0.5;
/** Share of the in-band messages that dismiss an earlier creation (keeps the state bounded). */
const DISMISS_SHARE = 0.3;

export class MixedLoad {
  readonly #users: readonly LoadUser[];
  readonly #rand: () => number;
  #oob = 0;
  readonly #reopening = new Map<number, Promise<void>>();
  inFlight = 0;
  /** Senders the server closed and this load reopened. */
  reopened = 0;

  constructor(users: readonly LoadUser[], rand: () => number) {
    this.#users = users;
    this.#rand = rand;
  }

  /** Send one message for user `i`; resolves true when acknowledged. Never rejects. */
  async sendOne(i: number): Promise<boolean> {
    const user = this.#users[i]!;
    const { ledger } = user;
    this.inFlight++;
    try {
      if (user.sender.session.isClosed) await this.#reopen(i);
      const sender = user.sender;
      if (this.#rand() < OOB_SHARE) {
        await sender.call('consumeMessage', { m: numberedOOB(ledger.uid, ++this.#oob) });
      } else {
        const pending = ledger.next(this.#rand, DISMISS_SHARE);
        await sender.call('consumeMessage', { m: pending.m });
        pending.acknowledge();
      }
      return true;
    } catch (err) {
      ledger.failed(err);
      return false;
    } finally {
      this.inFlight--;
    }
  }

  /** Reopen user `i`'s sender once, however many sends find it closed. */
  #reopen(i: number): Promise<void> {
    let reopening = this.#reopening.get(i);
    if (reopening === undefined) {
      const user = this.#users[i]!;
      reopening = user
        .reopen()
        .then((sender) => {
          user.sender = sender;
          this.reopened++;
        })
        .finally(() => this.#reopening.delete(i));
      this.#reopening.set(i, reopening);
    }
    return reopening;
  }

  /** Every user keeps `window` messages in flight for `ms`. */
  async closedLoop(window: number, ms: number): Promise<LoadCounts> {
    const counts: LoadCounts = { sent: 0, acked: 0, errors: 0, skipped: 0, seconds: 0 };
    const start = performance.now();
    const loop = async (i: number): Promise<void> => {
      while (performance.now() - start < ms) {
        counts.sent++;
        if (await this.sendOne(i)) counts.acked++;
        else counts.errors++;
      }
    };
    await Promise.all(this.#users.flatMap((_, i) => Array.from({ length: window }, () => loop(i))));
    counts.seconds = (performance.now() - start) / 1000;
    return counts;
  }

  /** Send `ratePerSec` messages a second in total, round-robin over the users, for `ms`. */
  async paced(ratePerSec: number, ms: number, maxInFlight: number): Promise<LoadCounts> {
    const counts: LoadCounts = { sent: 0, acked: 0, errors: 0, skipped: 0, seconds: 0 };
    const start = performance.now();
    let due = 0;
    let turn = 0;
    while (performance.now() - start < ms) {
      const target = Math.floor(((performance.now() - start) / 1000) * ratePerSec);
      for (; due < target; due++) {
        if (this.inFlight >= maxInFlight) {
          counts.skipped++;
          continue;
        }
        counts.sent++;
        const i = turn++ % this.#users.length;
        // sendOne never rejects; its outcome is counted when it settles.
        void this.sendOne(i).then((ok) => {
          if (ok) counts.acked++;
          else counts.errors++;
        });
      }
      await delay(20);
    }
    // The last answers, bounded: a server that stopped answering shows in `errors` instead.
    const tailEnd = performance.now() + 60_000;
    while (this.inFlight > 0 && performance.now() < tailEnd) await delay(20);
    counts.errors += this.inFlight;
    counts.seconds = (performance.now() - start) / 1000;
    return counts;
  }
}
