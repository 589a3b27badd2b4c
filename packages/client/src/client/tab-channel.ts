/**
 * How the tabs of one browser sharing a connection talk (BroadcastChannel): the other tabs send
 * requests to the holder and get its answers, the holder broadcasts events, and a new holder
 * announces itself. A request stays pending in the tab that made it until some holder answers it:
 * when the holder changes, every pending request is sent again to the new one, and when this tab
 * becomes the holder it runs its own pending requests itself. So a request is never lost with
 * the tab that was serving it; it may be *run* twice (once by a holder that died before
 * answering), which is why the writes travel as messages whose ID the requesting tab chose and the
 * server takes a repeated ID as the same write. Browser-only (needs BroadcastChannel).
 */
import { type ErrorCode, type GregorError, gregorError, isErrorCode } from '../errors.js';
import { type Deferred, deferred } from './serial.js';

/** A refusal as it crosses the channel: the error's code and message (Error classes don't). */
export interface SerializedError {
  code: string;
  message: string;
}

/** What the tabs say to each other. */
export type TabMessage =
  | { kind: 'request'; id: string; from: string; op: string; args: unknown }
  | { kind: 'reply'; id: string; to: string; value: unknown }
  | { kind: 'refusal'; id: string; to: string; error: SerializedError }
  | { kind: 'event'; from: string; name: string; payload: unknown }
  | { kind: 'holder'; from: string };

/** Runs one request in the holder tab; its value (or GregorError) goes back to the asking tab. */
export type TabRequestHandler = (op: string, args: unknown) => Promise<unknown>;

interface PendingRequest {
  readonly op: string;
  readonly args: unknown;
  readonly answer: Deferred<unknown>;
}

/** The error as it is sent to the asking tab. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error && 'code' in err && isErrorCode(err.code)) {
    return { code: err.code, message: err.message };
  }
  return { code: 'GREGOR_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/** The typed GregorError back from its serialized form. */
export function deserializeError(error: SerializedError): GregorError {
  const code: ErrorCode = isErrorCode(error.code) ? error.code : 'GREGOR_ERR_INTERNAL';
  return gregorError(code, error.message);
}

/** This tab's end of the channel `name`. */
export class TabChannel {
  /** This tab's ID on the channel (random). */
  readonly tabId: string;
  readonly #channel: BroadcastChannel;
  readonly #pending = new Map<string, PendingRequest>();
  /** Requests of other tabs this holder is running, so a re-sent one does not run twice here. */
  readonly #running = new Set<string>();
  #handler: TabRequestHandler | undefined;
  #onEvent: (name: string, payload: unknown) => void = () => undefined;
  #onHolder: () => void = () => undefined;
  #nextId = 0;
  #isClosed = false;

  constructor(name: string, channel: BroadcastChannel = new BroadcastChannel(name)) {
    this.tabId = crypto.randomUUID();
    this.#channel = channel;
    this.#channel.onmessage = (e: MessageEvent<TabMessage>) => this.#receive(e.data);
  }

  /** True while this tab answers the other tabs' requests. */
  get isServing(): boolean {
    return this.#handler !== undefined;
  }

  /** Requests of this tab still waiting for an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Call `listener` with each event the holder broadcasts. */
  onEvent(listener: (name: string, payload: unknown) => void): void {
    this.#onEvent = listener;
  }

  /** Call `listener` when another tab announces that it now holds the connection. */
  onHolder(listener: () => void): void {
    this.#onHolder = listener;
  }

  /**
   * Ask the holder to run `op` with `args` (structured-cloneable); resolves with its answer, or
   * rejects with the GregorError it answered. Run here when this tab is the holder. Waits for as
   * long as it takes a holder to answer, across handovers; `close` rejects it. When `signal`
   * aborts first, it rejects with `signal.reason` and is no longer sent again (a holder that
   * already has it may still run it).
   */
  request(op: string, args: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.#isClosed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#handler !== undefined) return this.#handler(op, args);
    const id = `${this.tabId}:${this.#nextId++}`;
    const answer = deferred<unknown>();
    this.#pending.set(id, { op, args, answer });
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (this.#pending.delete(id)) answer.reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      answer.promise.then(
        () => signal.removeEventListener('abort', onAbort),
        () => signal.removeEventListener('abort', onAbort),
      );
    }
    this.#post({ kind: 'request', id, from: this.tabId, op, args });
    return answer.promise;
  }

  /**
   * This tab now holds the connection: answer requests with `handler`, run this tab's own pending
   * ones, and tell the other tabs, which send theirs again.
   */
  serve(handler: TabRequestHandler): void {
    if (this.#isClosed) return;
    this.#handler = handler;
    const own = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of own) handler(p.op, p.args).then(p.answer.resolve, p.answer.reject);
    this.#post({ kind: 'holder', from: this.tabId });
  }

  /** Stop answering (closing): requests in progress get no answer and are re-sent elsewhere. */
  stopServing(): void {
    this.#handler = undefined;
    this.#running.clear();
  }

  /** Send an event to every other tab. */
  broadcast(name: string, payload: unknown): void {
    this.#post({ kind: 'event', from: this.tabId, name, payload });
  }

  /** Stop: pending requests reject with GREGOR_ERR_CLOSED. Idempotent. */
  close(): void {
    if (this.#isClosed) return;
    this.stopServing();
    this.#isClosed = true;
    for (const p of this.#pending.values()) p.answer.reject(closedError());
    this.#pending.clear();
    this.#channel.close();
  }

  #post(message: TabMessage): void {
    if (!this.#isClosed) this.#channel.postMessage(message);
  }

  #receive(message: TabMessage): void {
    if (this.#isClosed) return;
    switch (message.kind) {
      case 'request':
        this.#serveRequest(message.id, message.from, message.op, message.args);
        return;
      case 'reply':
      case 'refusal': {
        if (message.to !== this.tabId) return;
        const p = this.#pending.get(message.id);
        if (p === undefined) return; // answered already (a re-sent request answered twice)
        this.#pending.delete(message.id);
        if (message.kind === 'reply') p.answer.resolve(message.value);
        else p.answer.reject(deserializeError(message.error));
        return;
      }
      case 'event':
        this.#onEvent(message.name, message.payload);
        return;
      case 'holder':
        for (const [id, p] of this.#pending) {
          this.#post({ kind: 'request', id, from: this.tabId, op: p.op, args: p.args });
        }
        this.#onHolder();
        return;
    }
  }

  #serveRequest(id: string, from: string, op: string, args: unknown): void {
    const handler = this.#handler;
    if (handler === undefined || this.#running.has(id)) return;
    this.#running.add(id);
    handler(op, args).then(
      (value) => this.#answer(handler, id, { kind: 'reply', id, to: from, value }),
      (err: unknown) =>
        this.#answer(handler, id, { kind: 'refusal', id, to: from, error: serializeError(err) }),
    );
  }

  /** Answer unless this tab stopped serving meanwhile (then the next holder answers). */
  #answer(handler: TabRequestHandler, id: string, message: TabMessage): void {
    if (this.#handler !== handler) return;
    this.#running.delete(id);
    this.#post(message);
  }
}

function closedError(): GregorError {
  return gregorError('GREGOR_ERR_CLOSED', 'the tab connection is closed');
}
