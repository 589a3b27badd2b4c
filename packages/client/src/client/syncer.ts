/**
 * Sync (docs/data-model.md, "Sync: the log since a time"): SyncFromTime(LatestCTime), and a fresh
 * sync when the state hashes differ, or when the server finds the messages since LatestCTime too
 * large for one answer.
 */
import { isGregorError } from '../errors.js';
import {
  bytesEqual,
  type InBandMessage,
  type State,
  type SyncResult,
  toHex,
} from '../protocol/index.js';
import type { ClientLogger } from './client-logger.js';
import type { LocalReplica } from './local-replica.js';
import type { Remote } from './remote.js';

/** How long `sync` and `state` may take, ms. Keybase waits 1 s; slower links need more. */
export const DEFAULT_SYNC_TIMEOUT_MS = 10_000;

/** What a sync did. */
export interface SyncOutcome {
  /**
   * The messages to replay to handlers: what the server returned since LatestCTime, or, after a
   * fresh sync, one creation per item of the server's state (Keybase's MakeInBandMessageFromItem).
   */
  messages: InBandMessage[];
  /** True when the hashes differed and the local state was replaced by the server's. */
  isFresh: boolean;
}

/** The messages a fresh sync replays: one creation per state item. */
export function creationsOf(state: State): InBandMessage[] {
  const out: InBandMessage[] = [];
  for (const { md, item } of state.items) {
    if (md !== undefined && item !== undefined) out.push({ stateUpdate: { md, creation: item } });
  }
  return out;
}

/** Brings a LocalReplica level with the server. */
export class Syncer {
  readonly #replica: LocalReplica;
  readonly #logger: ClientLogger;
  readonly #timeoutMs: number;

  constructor(replica: LocalReplica, logger: ClientLogger, timeoutMs = DEFAULT_SYNC_TIMEOUT_MS) {
    this.#replica = replica;
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sync over `remote`. The whole sync runs as one change of the replica, so a broadcast that
   * arrives meanwhile is applied after it, against the synced state.
   */
  sync(remote: Remote): Promise<SyncOutcome> {
    return this.#replica.exclusive(async () => {
      let result: SyncResult;
      try {
        result = await this.#syncFromTime(remote);
      } catch (err) {
        // The messages since LatestCTime may not fit in one frame (the server's log keeps every
        // dismissal) while the state does (the server's quota sees to that): a fresh sync.
        if (!isGregorError(err, 'GREGOR_ERR_RESULT_TOO_LARGE')) throw err;
        this.#logger.info({ uid: toHex(this.#replica.uid) }, 'sync answer too large: fresh sync');
        return { messages: await this.#freshSync(remote), isFresh: true };
      }
      if (bytesEqual(await this.#replica.hash(), result.hash)) {
        return { messages: result.msgs, isFresh: false };
      }
      this.#logger.info(
        { uid: toHex(this.#replica.uid) },
        'local state hash != server state hash: fresh sync',
      );
      return { messages: await this.#freshSync(remote), isFresh: true };
    });
  }

  /** Ask for everything since LatestCTime and consume it; errors are logged only. */
  async #syncFromTime(remote: Remote): Promise<SyncResult> {
    const replica = this.#replica;
    const ctime = (await replica.latestCTime()) ?? 0;
    const result = await remote.call(
      'sync',
      { uid: replica.uid, deviceid: replica.deviceID, ctime },
      { timeoutMs: this.#timeoutMs },
    );
    // The boundary message comes back (since is inclusive); consuming it again is a no-op.
    for (const ibm of result.msgs) {
      try {
        await replica.consume({ ibm });
      } catch (err) {
        this.#logger.warn({ err }, 'a synced message does not apply to the local state');
      }
    }
    return result;
  }

  /**
   * freshSync: the server's state now (`timeOrOffset` zero), then Clear and InitState. Keybase
   * did this whenever LatestCTime was nil; only a hash mismatch triggers it here (case 41).
   */
  async #freshSync(remote: Remote): Promise<InBandMessage[]> {
    const replica = this.#replica;
    const state = await remote.call(
      'state',
      { uid: replica.uid, deviceid: replica.deviceID, timeOrOffset: { time: 0, offset: 0 } },
      { timeoutMs: this.#timeoutMs },
    );
    await replica.replaceState(state);
    return creationsOf(state);
  }
}
