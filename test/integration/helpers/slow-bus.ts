/**
 * A real bus behind a delay on subscribe and unsubscribe, like the round trip a Redis bus pays.
 * The storm test uses it so that attaches and detaches of one user overlap for real.
 */
import type { Bus, Subscription } from '../../../packages/server/src/pubsub/index.js';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `inner` with subscribe/unsubscribe taking `delayMs()` ms longer. */
export function withSubscribeLatency(inner: Bus, delayMs: () => number): Bus {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'subscribe') {
        return async (uid: Uint8Array, handler: Parameters<Bus['subscribe']>[1]) => {
          await pause(delayMs());
          const sub = await target.subscribe(uid, handler);
          const delayed: Subscription = {
            uid: sub.uid,
            unsubscribe: async () => {
              await pause(delayMs());
              await sub.unsubscribe();
            },
          };
          return delayed;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
