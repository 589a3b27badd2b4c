/**
 * The timer seam of the client (time is injected). The outbox interval and the
 * reconnect delays use these, so a test passes an @sinonjs/fake-timers clock and moves time by
 * hand while the sockets keep running on real time.
 */

/** Schedules callbacks; `globalThis` timers and a fake-timers clock both satisfy it. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers, looked up at each call so that globally installed fake timers are used too.
 */
export const globalTimers: Timers = {
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Arm a timer that does not keep the process alive (Node's `unref`, where the handle has it). */
export function setBackgroundTimeout(
  timers: Timers,
  callback: () => void,
  delayMs: number,
): unknown {
  const handle = timers.setTimeout(callback, delayMs);
  (handle as { unref?: () => void } | null)?.unref?.();
  return handle;
}
