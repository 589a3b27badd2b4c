/**
 * The first, critical stage: persist the message and stamp it with the stored ctime
 * (docs/architecture.md, "5. The pipeline"), so every connection sees the ctime the database holds.
 */
import type { MessageConsumer, UserQuota } from 'gregor-client/state/internal';
import type { Delivery } from './delivery.js';
import { withCTime } from './message-edit.js';
import type { ServerMetrics } from './metrics.js';
import type { PipelineConsumer } from './pipeline.js';
import { storageCall } from './storage-call.js';

/** Options of the storage stage. */
export interface StorageConsumerOptions {
  /** Give up on one storage call after this long, in ms. @default 30000 */
  timeoutMs?: number;
  /** What one user may hold; the state machine refuses a creation past it. @default none */
  quota?: UserQuota;
}

/** Default storage call timeout, ms. */
export const DEFAULT_STORAGE_TIMEOUT_MS = 30_000;

/** Persists in-band messages; its failure stops the pipeline: what is not stored is not sent. */
export class StorageConsumer implements PipelineConsumer {
  readonly name = 'storage';
  readonly isCritical = true;
  readonly #storage: MessageConsumer;
  readonly #metrics: ServerMetrics;
  readonly #timeoutMs: number;
  readonly #quota: UserQuota | undefined;

  constructor(storage: MessageConsumer, metrics: ServerMetrics, opts: StorageConsumerOptions = {}) {
    this.#storage = storage;
    this.#metrics = metrics;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_STORAGE_TIMEOUT_MS;
    this.#quota = opts.quota;
  }

  async consume(delivery: Delivery): Promise<void> {
    const m = delivery.message;
    // Out-of-band messages go through the same path, but storage ignores them; skip the
    // round trip. In-band sync messages are stored (logged) like updates.
    if (m.ibm === undefined) return;
    const { message: logged, isDuplicate } = await storageCall(this.#metrics, 'consume', () =>
      this.#storage.consume(m, {
        timeoutMs: this.#timeoutMs,
        ...(this.#quota === undefined ? {} : { quota: this.#quota }),
      }),
    );
    const ctime = logged.ibm?.stateUpdate?.md.ctime;
    if (ctime !== undefined) delivery.message = withCTime(m, ctime);
    delivery.isDuplicate = isDuplicate;
  }
}
