/**
 * The bookkeeping behind "0 acknowledged messages lost": a writer consumes numbered creations
 * and dismissals for one user and records each one the server ACKNOWLEDGED (consumeMessage
 * answered without error). After the fault, `verifyLedger` reads the user back through `state`
 * and `sync` as the superuser:
 * - every acknowledged creation that no dismissal targeted must be in both;
 * - no target of an acknowledged dismissal may be in `state`;
 * - `sync`'s hash must be the hash of `state`.
 * A consume that failed or never got its answer may or may not have been stored; it is not checked.
 */
import { isGregorError } from '../../packages/client/src/errors.js';
import {
  type Message,
  stateHash,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/index.js';
import {
  numberedCreation,
  numberedDismissal,
  seqID,
} from '../integration/helpers/scale-fixtures.js';
import type { TestClient } from '../integration/helpers/test-client.js';
import type { Report } from './scenario.js';

/** One message to send, and what to record once it is acknowledged. */
export interface PendingConsume {
  readonly m: Message;
  acknowledge(): void;
}

/** What one user's writer sent and what the server acknowledged. */
export class UserLedger {
  readonly uid: UID;
  /** The user's number in seqID, unique within the run. */
  readonly user: number;
  readonly ackedCreations = new Set<number>();
  /** Creations some dismissal targeted, acknowledged or not: their fate is open. */
  readonly targeted = new Set<number>();
  readonly ackedDismissalTargets = new Set<number>();
  /** When each creation was acknowledged (performance.now()), to place a loss in time. */
  readonly ackedAtMs = new Map<number, number>();
  /** Consumes answered with an error, by error code. */
  readonly failures = new Map<string, number>();
  #next = 0;

  constructor(uid: UID, user: number) {
    this.uid = uid;
    this.user = user;
  }

  /** Acknowledged consumes so far, creations and dismissals. */
  get acked(): number {
    return this.ackedCreations.size + this.ackedDismissalTargets.size;
  }

  /**
   * The next message: with probability `dismissShare`, a dismissal of an acknowledged creation
   * (when there is one left to dismiss), otherwise a new creation.
   */
  next(rand: () => number, dismissShare = 0): PendingConsume {
    const n = ++this.#next;
    if (rand() < dismissShare) {
      const target = this.#pickTarget(rand);
      if (target !== undefined) {
        this.targeted.add(target);
        return {
          m: numberedDismissal(this.uid, this.user, n, [target]),
          acknowledge: () => this.ackedDismissalTargets.add(target),
        };
      }
    }
    return {
      m: numberedCreation(this.uid, this.user, n),
      acknowledge: () => {
        this.ackedCreations.add(n);
        this.ackedAtMs.set(n, performance.now());
      },
    };
  }

  /** Count a consume that was answered with an error. */
  failed(err: unknown): void {
    const code = isGregorError(err) ? err.code : err instanceof Error ? err.message : String(err);
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  #pickTarget(rand: () => number): number | undefined {
    // A recent creation: the set iterates in insertion order; a bounded look-back keeps this cheap.
    const recent = [...this.ackedCreations].slice(-32).filter((n) => !this.targeted.has(n));
    return recent.length === 0 ? undefined : recent[Math.floor(rand() * recent.length)];
  }
}

/**
 * Consume through `client` for `ledger` until `isRunning()` turns false or the connection
 * closes; `dismissShare` of the messages are dismissals. Errors are counted, never thrown.
 */
export async function writeWhile(
  client: TestClient,
  ledger: UserLedger,
  isRunning: () => boolean,
  rand: () => number,
  dismissShare = 0,
): Promise<void> {
  while (isRunning() && !client.session.isClosed) {
    const pending = ledger.next(rand, dismissShare);
    try {
      await client.call('consumeMessage', { m: pending.m });
      pending.acknowledge();
    } catch (err) {
      ledger.failed(err);
      // A database that is down fails consumes at once; do not spin on it.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** What reading one user back found. */
export interface LedgerCheck {
  acked: number;
  /** Acknowledged creations missing from state or sync (`<uid hex>:<n>`). */
  lost: string[];
  /** Targets of acknowledged dismissals still in state. */
  resurrected: string[];
  isHashConsistent: boolean;
}

/** Read `ledger`'s user back as the superuser `su` and compare with what was acknowledged. */
export async function verifyLedger(su: TestClient, ledger: UserLedger): Promise<LedgerCheck> {
  const { uid } = ledger;
  const state = await su.call('state', {
    uid,
    deviceid: null,
    timeOrOffset: { time: 0, offset: 0 },
  });
  const sync = await su.call('sync', { uid, deviceid: null, ctime: 0 });
  const inState = new Set(state.items.map((i) => (i.md ? toHex(i.md.msgID) : '')));
  const inSync = new Set(
    sync.msgs.map((m) => (m.stateUpdate ? toHex(m.stateUpdate.md.msgID) : '')),
  );
  const label = (n: number): string => `${toHex(uid)}:${n}`;
  const idOf = (n: number): string => toHex(seqID(ledger.user, n));
  const lost = [...ledger.ackedCreations]
    .filter((n) => !ledger.targeted.has(n))
    .filter((n) => !inState.has(idOf(n)) || !inSync.has(idOf(n)))
    .map(label);
  const resurrected = [...ledger.ackedDismissalTargets]
    .filter((n) => inState.has(idOf(n)))
    .map(label);
  return {
    acked: ledger.acked,
    lost,
    resurrected,
    isHashConsistent: toHex(sync.hash) === toHex(stateHash(state)),
  };
}

/** Totals of `verifyLedger` over many users. */
export interface LedgerTotals {
  users: number;
  acked: number;
  lost: string[];
  resurrected: string[];
  hashMismatches: number;
}

/** Verify every ledger, one after the other (a bounded load on the server). */
export async function verifyLedgers(
  su: TestClient,
  ledgers: readonly UserLedger[],
): Promise<LedgerTotals> {
  const totals: LedgerTotals = { users: 0, acked: 0, lost: [], resurrected: [], hashMismatches: 0 };
  for (const ledger of ledgers) {
    const check = await verifyLedger(su, ledger);
    totals.users++;
    totals.acked += check.acked;
    totals.lost.push(...check.lost);
    totals.resurrected.push(...check.resurrected);
    if (!check.isHashConsistent) totals.hashMismatches++;
  }
  return totals;
}

/** Failures of every ledger, summed by code, for printing. */
export function failureCounts(ledgers: readonly UserLedger[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of ledgers) for (const [code, n] of l.failures) out[code] = (out[code] ?? 0) + n;
  return out;
}

/** Print `totals` as figures and record a failed check for anything lost or undone. */
export function reportLedgerTotals(report: Report, what: string, totals: LedgerTotals): void {
  report.figure(`${what}: users checked`, totals.users);
  report.figure(`${what}: acknowledged consumes`, totals.acked);
  report.figure(`${what}: acknowledged creations lost`, totals.lost.length);
  report.figure(`${what}: acknowledged dismissals undone`, totals.resurrected.length);
  report.figure(`${what}: sync hash != state hash`, totals.hashMismatches);
  report.check(
    totals.lost.length === 0,
    `${what}: ${totals.lost.length} acknowledged creations lost (${totals.lost.slice(0, 5).join(', ')})`,
  );
  report.check(
    totals.resurrected.length === 0,
    `${what}: ${totals.resurrected.length} acknowledged dismissals undone (${totals.resurrected.slice(0, 5).join(', ')})`,
  );
  report.check(
    totals.hashMismatches === 0,
    `${what}: sync's hash differs from the hash of state for ${totals.hashMismatches} users`,
  );
}
