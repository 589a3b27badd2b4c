/**
 * Wrap a real StateMachine so that chosen methods fail or are observed; every other method goes
 * to the real engine unchanged. For the fault tests: a database failure must mean no broadcast.
 */
import type { StateMachine } from '../../../packages/client/src/state/index.js';

type Method = {
  [K in keyof StateMachine]: StateMachine[K] extends (...args: never[]) => unknown ? K : never;
}[keyof StateMachine];

/** Replacement methods; each gets the real engine's method as its last argument. */
export type Overrides = {
  [K in Method]?: (
    real: StateMachine[K],
    ...args: Parameters<StateMachine[K]>
  ) => ReturnType<StateMachine[K]>;
};

/** `engine` with `overrides` in front of the named methods. */
export function withOverrides(engine: StateMachine, overrides: Overrides): StateMachine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const real = value.bind(target);
      const override = (
        overrides as Record<PropertyKey, ((...a: unknown[]) => unknown) | undefined>
      )[prop];
      return override === undefined ? real : (...args: unknown[]) => override(real, ...args);
    },
  });
}
