/**
 * The retention job in a GregorServer: its options, its runs on the interval, its metrics on
 * /metrics, a stop that lets the running batch finish and gives the lease back, and a storage
 * failure that is counted and retried rather than thrown. The memory engine's retention side is
 * the store throughout (the rule itself is the conformance suite's).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  ManualClock,
  MemoryEngine,
  type RetentionStore,
} from '../../../packages/client/src/state/index.js';
import { InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import {
  GregorServer,
  type GregorServerOptions,
  MIN_RETENTION_MS,
  RetentionJob,
} from '../../../packages/server/src/server/index.js';
import { eventually } from '../../helpers/eventually.js';
import { TestAuthenticator } from '../../integration/helpers/test-authenticator.js';
import { C, M, S, T0, U } from '../storage/messages.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });

/** An engine at T0 with one stateSync for each of `users` users, and its clock at T0 + 31 days. */
async function agedEngine(users: number): Promise<{ engine: MemoryEngine; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const engine = new MemoryEngine({ clock });
  for (let n = 1; n <= users; n++) await engine.consumeMessage(S(M(1), { uid: U(n) }));
  await engine.consumeMessage(C(M(2)));
  clock.set(T0 + 31 * DAY);
  return { engine, clock };
}

function serverOn(engine: MemoryEngine, extra: Partial<GregorServerOptions> = {}): GregorServer {
  return new GregorServer({
    stateMachine: engine,
    bus: new InProcessBus(),
    authenticator: new TestAuthenticator(),
    listen: { tcp: { host: '127.0.0.1', port: 0 } },
    retention: { retentionMs: 30 * DAY },
    ...extra,
  });
}

/**
 * A store that holds its first batch until `release` is called (`reached` tells it is held); the
 * rest pass through.
 */
function gatedStore(inner: RetentionStore): {
  store: RetentionStore;
  reached: Promise<void>;
  release: () => void;
} {
  let release = () => {};
  let arrive = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let first = true;
  const store: RetentionStore = {
    claimSweep: (owner, opts) => inner.claimSweep(owner, opts),
    async sweepBatch(owner, opts) {
      if (first) {
        first = false;
        arrive();
        await gate;
      }
      return inner.sweepBatch(owner, opts);
    },
    releaseSweep: (owner) => inner.releaseSweep(owner),
    sweepStatus: () => inner.sweepStatus(),
    countRows: () => inner.countRows(),
  };
  return { store, reached, release };
}

describe('GregorServer retention', () => {
  it('is off by default, and refuses a retention under an hour or an engine without a retention side', () => {
    const engine = new MemoryEngine();
    assert.equal(serverOn(engine, { retention: undefined }).retention, undefined);
    assert.throws(() => serverOn(engine, { retention: { retentionMs: MIN_RETENTION_MS - 1 } }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /retention\.retentionMs/,
    });
    assert.throws(() => serverOn(engine, { retention: { retentionMs: DAY, batchRows: 1 } }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /retention\.batchRows/,
    });
    const bare: GregorServerOptions['stateMachine'] = Object.create(engine, {
      retention: { value: undefined },
    });
    assert.throws(() => serverOn(engine, { stateMachine: bare }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /retention needs a state machine with a retention side/,
    });
  });

  it('sweeps on its interval once listening, and serves its metrics on /metrics', async () => {
    const { engine } = await agedEngine(3);
    const server = serverOn(engine, {
      retention: { retentionMs: 30 * DAY, intervalMs: 10 },
      metricsRegistry: new Registry(),
    });
    await server.listen();
    try {
      const text = await eventually(
        async () => {
          const metrics = await server.metrics.registry.metrics();
          assert.match(metrics, /gregor_retention_run_seconds_count 1/);
          return metrics;
        },
        { message: 'a sweep on the interval' },
      );
      assert.notEqual((await engine.retention.sweepStatus()).lastCompletedAt, null);
      assert.match(text, /gregor_retention_deleted_rows_total\{table="messages"\} 3/);
      assert.match(text, /gregor_retention_deleted_rows_total\{table="items"\} 0/);
      assert.match(text, /gregor_retention_run_seconds_count 1/);
      assert.match(text, /gregor_retention_batches_total 1/);
      assert.match(text, /gregor_retention_lag_seconds 0/);
      await eventually(async () =>
        assert.match(
          await server.metrics.registry.metrics(),
          /gregor_storage_rows\{table="messages"\} 1\n/,
        ),
      );
    } finally {
      await server.close();
    }
  });

  it('stops after the running batch and gives the lease back; the next owner resumes at its cursor', async () => {
    const { engine } = await agedEngine(120);
    const { store, reached, release } = gatedStore(engine.retention);
    const job = new RetentionJob({
      store,
      clock: engine.clock,
      logger: silent,
      retentionMs: 30 * DAY,
      owner: 'a',
    });
    const running = job.runOnce();
    assert.equal(job.runOnce(), running, 'a second call joins the run');
    await reached;
    const stopped = job.stop();
    release();
    await stopped;
    const run = await running;
    assert.deepEqual(
      {
        claimed: run.claimed,
        batches: run.batches,
        done: run.done,
        messages: run.deleted.messages,
      },
      { claimed: true, batches: 1, done: false, messages: 50 },
    );
    const next = await engine.retention.claimSweep('b', { leaseMs: 1000, minIntervalMs: DAY });
    assert.ok(next?.cursor, 'the lease is free and the sweep resumes where it stopped');
    assert.equal((await job.runOnce()).claimed, false, 'a stopped job runs no more');
  });

  it('counts a storage failure and gives the lease back instead of throwing', async () => {
    const { engine } = await agedEngine(2);
    const failing: RetentionStore = {
      claimSweep: (owner, opts) => engine.retention.claimSweep(owner, opts),
      sweepBatch: () => Promise.reject(new Error('database down')),
      releaseSweep: (owner) => engine.retention.releaseSweep(owner),
      sweepStatus: () => engine.retention.sweepStatus(),
      countRows: () => engine.retention.countRows(),
    };
    const registry = new Registry();
    const job = new RetentionJob({
      store: failing,
      clock: engine.clock,
      logger: silent,
      retentionMs: 30 * DAY,
      owner: 'a',
      registry,
    });
    const run = await job.runOnce();
    assert.deepEqual([run.claimed, run.failed, run.batches], [true, true, 0]);
    assert.match(await registry.metrics(), /gregor_retention_failures_total 1/);
    assert.ok(await engine.retention.claimSweep('b', { leaseMs: 1000, minIntervalMs: 0 }));
  });
});
