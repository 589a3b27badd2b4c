/**
 * What every section of the durable benchmark gets: the settings (from the environment, with
 * defaults that keep the whole run to a few minutes), the shared servers, the goal rows, and the
 * figures one section measures for another (the peaks the open-loop rates are fractions of).
 */
import { fileURLToPath } from 'node:url';
import type { Goals } from './durable-report.js';
import type { DurableRig } from './durable-rig.js';

const num = (name: string, fallback: number): number => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
};

/** The settings, each overridable by its variable. */
export const CONFIG = {
  /** Users of the throughput sections, two connections each. */
  users: num('BENCH_USERS', 200),
  /** Consumes each user keeps in flight in a closed loop. */
  window: 4,
  phaseMs: num('BENCH_PHASE_MS', 1500),
  warmupMs: 300,
  /** Alternating rounds of the closed-loop and burst sections; the median is reported. */
  rounds: num('BENCH_ROUNDS', 3),
  /** Open loop: rates of 1/steps … steps/steps of gregord's peak, each for openPhaseMs. */
  openSteps: num('BENCH_OPEN_STEPS', 10),
  openPhaseMs: num('BENCH_OPEN_PHASE_MS', 2000),
  /** One user's burst, and how many users the same count is spread over for comparison. */
  burst: 900,
  burstUsers: 64,
  readItems: num('BENCH_READ_ITEMS', 100_000),
  readIterations: 3,
  idleConnections: num('BENCH_IDLE_CONNECTIONS', 50_000),
  /** Where the open-loop JSON and chart go. */
  outDir: process.env.BENCH_OUT_DIR ?? fileURLToPath(new URL('../docs/images/', import.meta.url)),
} as const;

/** Closed-loop peaks, consumes/s, measured by the scenario section for the open-loop one. */
export interface Peaks {
  gregord: number;
  peer: number;
}

export interface DurableContext {
  readonly rig: DurableRig;
  readonly goals: Goals;
  peaks?: Peaks;
}
