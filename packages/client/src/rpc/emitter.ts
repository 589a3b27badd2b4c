/**
 * A minimal typed event emitter. node:events is avoided so the rpc layer runs in browsers too
 * (the client library uses it there); listeners are kept only once one is added, so an idle
 * session pays nothing for events it never emits.
 */

/** Event name → argument tuple. */
export type EventMap = { [event: string]: unknown[] };

type Listener<Args extends unknown[]> = (...args: Args) => void;

/** Typed `on`/`once`/`off`; subclasses call `emit`. */
export class TypedEmitter<Events extends EventMap> {
  #listeners: Map<keyof Events, Listener<never[]>[]> | undefined;

  /** Call `listener` on every `event`. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    this.#listeners ??= new Map();
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as unknown as Listener<never[]>);
    this.#listeners.set(event, list);
    return this;
  }

  /** Call `listener` on the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper: Listener<Events[E]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Remove a listener added with `on` (or the wrapper `once` added). */
  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const list = this.#listeners?.get(event);
    const index = list?.indexOf(listener as unknown as Listener<never[]>) ?? -1;
    if (list !== undefined && index >= 0) list.splice(index, 1);
    return this;
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof Events): number {
    return this.#listeners?.get(event)?.length ?? 0;
  }

  /** Call the listeners of `event` in the order they were added. */
  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const list = this.#listeners?.get(event);
    if (list === undefined) return;
    for (const listener of [...list]) (listener as unknown as Listener<Events[E]>)(...args);
  }
}
