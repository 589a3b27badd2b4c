/**
 * The changes of a Gregor connection for `for await` readers. Each reader has a bounded buffer: a
 * reader that falls behind never makes memory grow. When its buffer is full, the changes it holds
 * are dropped and replaced by one `overflow` change, after which new changes queue again; a
 * reader that sees `overflow` re-reads `g.items()` to catch up. Browser-safe.
 */

/** A change as the feed carries it: anything with a `type`, plus the feed's own overflow. */
export type Overflow = { readonly type: 'overflow'; readonly dropped: number };

/** How many changes a reader may hold before its buffer is replaced by an overflow. */
export const DEFAULT_CHANGE_BUFFER = 1024;

interface Reader<T> {
  queue: (T | Overflow)[];
  wake: (() => void) | undefined;
  isEnded: boolean;
}

/** Fans changes out to every open iterator. */
export class ChangeFeed<T extends { readonly type: string }> {
  readonly #bufferSize: number;
  readonly #readers = new Set<Reader<T>>();
  #isEnded = false;

  constructor(bufferSize = DEFAULT_CHANGE_BUFFER) {
    this.#bufferSize = bufferSize;
  }

  /** Open iterators. */
  get readerCount(): number {
    return this.#readers.size;
  }

  /** Queue `change` for every reader. */
  push(change: T): void {
    for (const reader of this.#readers) {
      if (reader.queue.length >= this.#bufferSize) {
        const dropped = reader.queue.reduce(
          (n, c) => n + (c.type === 'overflow' ? (c as Overflow).dropped : 1),
          0,
        );
        reader.queue = [{ type: 'overflow', dropped }];
      }
      reader.queue.push(change);
      this.#wake(reader);
    }
  }

  /** End every iterator once it has read what it holds; later iterators end at once. */
  end(): void {
    this.#isEnded = true;
    for (const reader of this.#readers) {
      reader.isEnded = true;
      this.#wake(reader);
    }
    this.#readers.clear();
  }

  /** An iterator of the changes from now on. */
  iterate(): AsyncIterableIterator<T | Overflow> {
    const reader: Reader<T> = { queue: [], wake: undefined, isEnded: this.#isEnded };
    if (!reader.isEnded) this.#readers.add(reader);
    const finish = (): IteratorResult<T | Overflow> => {
      reader.isEnded = true;
      reader.queue = [];
      this.#readers.delete(reader);
      this.#wake(reader);
      return { value: undefined, done: true };
    };
    const next = async (): Promise<IteratorResult<T | Overflow>> => {
      for (;;) {
        const value = reader.queue.shift();
        if (value !== undefined) return { value, done: false };
        if (reader.isEnded) return finish();
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
        });
      }
    };
    const iterator: AsyncIterableIterator<T | Overflow> = {
      next,
      return: async () => finish(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #wake(reader: Reader<T>): void {
    const wake = reader.wake;
    reader.wake = undefined;
    wake?.();
  }
}
