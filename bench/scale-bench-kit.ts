/**
 * What the multi-process benchmarks share (bench/scale-bench.ts, bench/cluster-bench.ts): users
 * with two connections spread over gregord child processes, a closed-loop measure that reports
 * what each process used, and the medians of alternating rounds.
 */
import { METHODS, type UID } from '../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../packages/client/src/rpc/index.js';
import type { GregordProcess } from '../test/integration/helpers/gregord-process.js';
import { cpuSecondsOf } from './process-cpu.js';
import { median } from './pubsub-bench-kit.js';
import { closedLoop, type MessageMaker, rpcSenders } from './server-bench-load.js';
import { type BenchUser, disconnect, freshUID, Recorder } from './server-bench-peers.js';

/** Consumes each user keeps in flight. */
export const WINDOW = 4;
/** The unrecorded run before each measure (JIT, pools, subscriptions). */
export const WARMUP_MS = 300;

export interface Layout {
  readonly name: string;
  /** The processes the users are spread over; a user's second connection is on the next one. */
  readonly on: readonly GregordProcess[];
  /** The Redis server processes behind them, whose CPU is reported too (none: not reported). */
  readonly redisPids?: readonly number[];
}

export interface Sample {
  layout: string;
  kind: string;
  consumesPerSec: number;
  deliveriesPerSec: number;
  gregordCpuPct: number;
  clientCpuPct: number;
  /** Every Redis process together, % of one core. */
  redisCpuPct: number;
  /** The busiest Redis process, % of one core. */
  busiestRedisCpuPct: number;
  errors: number;
}

/** How a measure runs. */
export interface MeasureOptions {
  readonly users: number;
  readonly phaseMs: number;
}

async function login(port: number, recorder: Recorder, uid: UID): Promise<RpcSession> {
  const session = await connectTcp({ port, session: { handlers: recorder.handlers } });
  // --mock-auth: the token is the uid in hex.
  await session.call(METHODS.authenticateSessionToken.name, {
    session: Buffer.from(uid).toString('hex'),
  });
  return session;
}

async function connectUsers(
  layout: Layout,
  recorder: Recorder,
  count: number,
): Promise<BenchUser[]> {
  const { on } = layout;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const uid = freshUID();
      const [a, b] = await Promise.all([
        login(on[i % on.length]!.tcpPort, recorder, uid),
        login(on[(i + 1) % on.length]!.tcpPort, recorder, uid),
      ]);
      return { uid, a, b };
    }),
  );
}

/** CPU % of one core each process used since `before` (its cpuSecondsOf then). */
function cpuPcts(pids: readonly number[], before: readonly number[], elapsedSec: number): number[] {
  return pids.map((pid, i) => (100 * (cpuSecondsOf(pid) - before[i]!)) / elapsedSec);
}

/** Fresh users on `layout`, warmed, then one closed-loop phase of `phaseMs`. */
export async function measure(
  layout: Layout,
  kind: string,
  make: MessageMaker,
  { users: count, phaseMs }: MeasureOptions,
): Promise<Sample> {
  const recorder = new Recorder();
  const users = await connectUsers(layout, recorder, count);
  try {
    const senders = rpcSenders(users, make);
    await closedLoop(senders, recorder, WINDOW, WARMUP_MS);
    const pids = layout.on.map((p) => p.child.pid!);
    const redisPids = layout.redisPids ?? [];
    const cpuBefore = pids.map(cpuSecondsOf);
    const redisBefore = redisPids.map(cpuSecondsOf);
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    const peak = await closedLoop(senders, recorder, WINDOW, phaseMs);
    const elapsedSec = (performance.now() - start) / 1000;
    const gregord = cpuPcts(pids, cpuBefore, elapsedSec);
    const redis = cpuPcts(redisPids, redisBefore, elapsedSec);
    const client = process.cpuUsage(clientBefore);
    return {
      layout: layout.name,
      kind,
      consumesPerSec: Math.round(peak.consumesPerSec),
      deliveriesPerSec: Math.round(peak.deliveriesPerSec),
      gregordCpuPct: Math.round(gregord.reduce((a, b) => a + b, 0)),
      clientCpuPct: Math.round((client.user + client.system) / 1e4 / elapsedSec),
      redisCpuPct: Math.round(redis.reduce((a, b) => a + b, 0)),
      busiestRedisCpuPct: Math.round(Math.max(0, ...redis)),
      errors: peak.errors,
    };
  } finally {
    await disconnect(users);
  }
}

/**
 * Measure every kind on every layout: one unrecorded pass, then `rounds` alternating rounds.
 * Returns every sample in run order and, per kind and layout, the medians (errors summed).
 */
export async function runRounds(
  layouts: readonly Layout[],
  kinds: ReadonlyArray<readonly [string, MessageMaker]>,
  rounds: number,
  options: MeasureOptions,
): Promise<{ samples: Sample[]; rows: Sample[] }> {
  for (const [kind, make] of kinds) {
    for (const layout of layouts) {
      await measure(layout, kind, make, { ...options, phaseMs: WARMUP_MS });
    }
  }
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [kind, make] of kinds) {
      for (const layout of layouts) samples.push(await measure(layout, kind, make, options));
    }
  }
  const rows = kinds.flatMap(([kind]) =>
    layouts.map((layout): Sample => {
      const mine = samples.filter((s) => s.kind === kind && s.layout === layout.name);
      const pick = (f: (s: Sample) => number) => median(mine.map(f));
      return {
        layout: layout.name,
        kind,
        consumesPerSec: pick((s) => s.consumesPerSec),
        deliveriesPerSec: pick((s) => s.deliveriesPerSec),
        gregordCpuPct: pick((s) => s.gregordCpuPct),
        clientCpuPct: pick((s) => s.clientCpuPct),
        redisCpuPct: pick((s) => s.redisCpuPct),
        busiestRedisCpuPct: pick((s) => s.busiestRedisCpuPct),
        errors: mine.reduce((sum, s) => sum + s.errors, 0),
      };
    }),
  );
  return { samples, rows };
}

/** `a / b` of consumes/s and deliveries/s, as the benches print it. */
export function ratioLine(kind: string, a: Sample, b: Sample): string {
  return (
    `${kind}: ${a.layout} / ${b.layout} = ` +
    `${(a.consumesPerSec / b.consumesPerSec).toFixed(2)}× consumes/s, ` +
    `${(a.deliveriesPerSec / b.deliveriesPerSec).toFixed(2)}× deliveries/s`
  );
}
