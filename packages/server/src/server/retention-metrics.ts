/**
 * The metrics of retention (docs/data-model.md, "Retention"), in the server's registry beside the
 * others (metrics.ts), registered only when retention is on. The sampled gauges read what the job
 * last sampled: a scrape never queries the database.
 */
import { RETENTION_TABLES, type RetentionCounts, type TableRowCounts } from 'gregor-client/state';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the sampled gauges read. */
export interface RetentionSamples {
  /** Rows per table as last counted, or undefined before the first count. */
  rows(): TableRowCounts | undefined;
  /** Seconds since the last completed sweep (or since this job started, before any). */
  lagSeconds(): number;
}

/** Counters, gauges and histograms of the retention job. */
export class RetentionMetrics {
  /** Rows deleted, by table. */
  readonly deleted: Counter<'table'>;
  /** Batches (transactions) run by this instance. */
  readonly batches: Counter;
  /** Runs that failed (a database error); the next interval tries again. */
  readonly failures: Counter;
  /** Duration of a run that held the lease, from the claim to the end of its last batch. */
  readonly runSeconds: Histogram;

  constructor(registry: Registry, samples: RetentionSamples) {
    const registers = [registry];
    this.deleted = new Counter({
      name: 'gregor_retention_deleted_rows_total',
      help: 'Rows deleted by retention, by table (items, messages, reminders)',
      labelNames: ['table'],
      registers,
    });
    this.batches = new Counter({
      name: 'gregor_retention_batches_total',
      help: 'Retention batches (one transaction each) run by this instance',
      registers,
    });
    this.failures = new Counter({
      name: 'gregor_retention_failures_total',
      help: 'Retention runs that failed with a storage error (retried at the next interval)',
      registers,
    });
    this.runSeconds = new Histogram({
      name: 'gregor_retention_run_seconds',
      help: 'Duration of a retention run that held the sweep lease, claim to last batch',
      buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600],
      registers,
    });
    new Gauge({
      name: 'gregor_retention_lag_seconds',
      help: 'Seconds since the last completed retention sweep on any instance (since this job started, before the first)',
      registers,
      collect() {
        this.set(samples.lagSeconds());
      },
    });
    new Gauge({
      name: 'gregor_storage_rows',
      help: 'Rows per table, sampled by the retention job: estimates on PostgreSQL and MySQL/MariaDB, exact on SQLite and the memory engine',
      labelNames: ['table'],
      registers,
      collect() {
        const rows = samples.rows();
        if (rows === undefined) return;
        for (const table of RETENTION_TABLES) this.set({ table }, rows[table]);
      },
    });
    for (const table of RETENTION_TABLES) this.deleted.inc({ table }, 0);
  }

  /** Count one batch's deletions. */
  countBatch(deleted: RetentionCounts): void {
    this.batches.inc();
    for (const table of RETENTION_TABLES) {
      if (deleted[table] > 0) this.deleted.inc({ table }, deleted[table]);
    }
  }
}
