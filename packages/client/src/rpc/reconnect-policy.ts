/**
 * The one reconnect policy of every link that redials (a client to gregord, gregord to Redis and
 * to authd), and the one backoff that spaces its attempts. A policy is data (STYLE.md §5.9) with
 * one meaning wherever it is given; each link adapts it at its own edge (node-redis wants a
 * `reconnectStrategy`, the client a delay per attempt).
 */
import { z } from 'zod';
import { configError, dottedOption, parseOptions } from '../errors.js';

/** The tunable form of a policy; each field left out takes the link's default. */
export interface ReconnectBackoff {
  /** Attempts in a row before giving up; the count restarts after a connect. @default no limit */
  readonly maxAttempts?: number;
  /** Ceiling of the first delay, ms; it doubles at each attempt. */
  readonly baseDelayMs?: number;
  /** The ceiling stops doubling here, ms. */
  readonly maxDelayMs?: number;
}

/**
 * When and whether to reconnect:
 * - `true` (or left out): for ever, with the default backoff;
 * - `false`: never;
 * - a number `n`: up to `n` attempts in a row (0: none), with the default backoff;
 * - `{ maxAttempts?, baseDelayMs?, maxDelayMs? }`: the backoff tuned;
 * - a function of the attempt (1, 2, …) and the error that ended the last one: the delay in ms,
 *   or `false` to give up.
 * Attempts count from 1 and start again after each successful connect.
 */
export type ReconnectPolicy<Cause extends Error = Error> =
  | boolean
  | number
  | ReconnectBackoff
  | ((attempt: number, cause: Cause) => number | false);

/** The two delays of the exponential backoff, ms. */
export interface BackoffDelays {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** The first retry of a device waits up to this long, ms. */
export const DEFAULT_RECONNECT_BASE_DELAY_MS = 250;
/**
 * A device's backoff stops doubling here, ms: after a server restart, thousands of devices
 * redial one server, and a long ceiling spreads them out.
 */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 30_000;

/** The default backoff of a device's connection to gregord. */
export const DEFAULT_RECONNECT_DELAYS: BackoffDelays = Object.freeze({
  baseDelayMs: DEFAULT_RECONNECT_BASE_DELAY_MS,
  maxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS,
});

/**
 * The default backoff of a server's link to a backend it cannot work without (Redis, authd):
 * one link per instance, so a short ceiling brings the instance back soon after the backend.
 */
export const SERVER_LINK_RECONNECT_DELAYS: BackoffDelays = Object.freeze({
  baseDelayMs: 50,
  maxDelayMs: 2000,
});

/** Doublings past this would exceed any delay a timer can hold; it also keeps 2 ** n finite. */
const MAX_DOUBLINGS = 31;

/**
 * The backoff before `attempt` (1-based): exponential with full jitter, a random delay between 0
 * and a ceiling that doubles from `baseDelayMs` up to `maxDelayMs`, so that the links dropped by
 * one restart do not all come back in the same millisecond.
 */
export function backoffDelayMs(
  attempt: number,
  delays: BackoffDelays = DEFAULT_RECONNECT_DELAYS,
  random: () => number = Math.random,
): number {
  const doublings = Math.min(Math.max(0, attempt - 1), MAX_DOUBLINGS);
  const ceiling = Math.min(delays.maxDelayMs, delays.baseDelayMs * 2 ** doublings);
  return Math.round(random() * ceiling);
}

const delayMs = z.number().int().positive().max(0x7fff_ffff);
const attempts = z.number().int().nonnegative();

/** The shape of a ReconnectPolicy, for the options schemas that take one. */
export const reconnectPolicySchema = z.union(
  [
    z.boolean(),
    attempts,
    z.strictObject({
      maxAttempts: attempts.optional(),
      baseDelayMs: delayMs.optional(),
      maxDelayMs: delayMs.optional(),
    }),
    z.custom<(attempt: number, cause: Error) => number | false>((v) => typeof v === 'function'),
  ],
  {
    message:
      'must be true, false, a number of attempts ≥ 0, { maxAttempts, baseDelayMs, maxDelayMs } or a function',
  },
);

/**
 * Check a policy given on its own; throws GREGOR_ERR_CONFIG_INVALID naming `option` (or its
 * field: `reconnect.baseDelayMs`).
 */
export function parseReconnectPolicy<Cause extends Error = Error>(
  input: unknown,
  what: string,
  option = 'reconnect',
): ReconnectPolicy<Cause> | undefined {
  if (input === undefined) return undefined;
  return parseOptions(what, reconnectPolicySchema, input, (path) =>
    dottedOption([option, ...path]),
  ) as ReconnectPolicy<Cause>;
}

/** How {@link reconnectDelayMs} fills in what the policy leaves out. */
export interface ReconnectDefaults {
  /** @default DEFAULT_RECONNECT_DELAYS */
  readonly delays?: BackoffDelays;
  /** The jitter's source. @default Math.random */
  readonly random?: () => number;
}

/**
 * The delay before attempt `attempt` (1-based) after `cause`, or false to give up. A function
 * policy that answers something other than a delay ≥ 0 or false is a configuration error.
 */
export function reconnectDelayMs<Cause extends Error>(
  policy: ReconnectPolicy<Cause> | undefined,
  attempt: number,
  cause: Cause,
  defaults: ReconnectDefaults = {},
): number | false {
  if (policy === false) return false;
  if (typeof policy === 'function') {
    const delay = policy(attempt, cause);
    if (delay === false || (Number.isFinite(delay) && delay >= 0)) return delay;
    throw configError('invalid reconnect policy', [
      {
        option: 'reconnect',
        message: `returned ${String(delay)}; expected a delay ≥ 0 ms or false`,
      },
    ]);
  }
  const tuned = typeof policy === 'object' ? policy : {};
  const maxAttempts = typeof policy === 'number' ? policy : tuned.maxAttempts;
  if (maxAttempts !== undefined && attempt > maxAttempts) return false;
  const base = defaults.delays ?? DEFAULT_RECONNECT_DELAYS;
  const delays = {
    baseDelayMs: tuned.baseDelayMs ?? base.baseDelayMs,
    maxDelayMs: tuned.maxDelayMs ?? base.maxDelayMs,
  };
  return backoffDelayMs(attempt, delays, defaults.random);
}
