/**
 * Two in-process transports joined back to back: what one writes, the other reads. Useful to
 * embed a server and a client in one process, and for tests that need no socket. It keeps the
 * stream semantics of a socket: delivery is asynchronous, chunk boundaries are not preserved as
 * messages, `pause` holds bytes back, and bytes held back count as the writer's write buffer.
 */
import type { Transport, TransportSink } from './transport.js';

class MemoryTransport implements Transport {
  readonly remoteAddress: string;
  peer: MemoryTransport | undefined;
  #sink: TransportSink | undefined;
  /** Bytes written by the peer and not yet delivered to our sink. */
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #isPaused = false;
  #isClosed = false;
  #isPeerClosed = false;
  #isScheduled = false;
  #hasReportedClose = false;

  constructor(name: string) {
    this.remoteAddress = name;
  }

  get writeBufferBytes(): number {
    const peer = this.peer;
    return peer === undefined ? 0 : peer.#inboxBytes;
  }

  attach(sink: TransportSink): void {
    this.#sink = sink;
    this.#schedule();
  }

  write(chunks: readonly Uint8Array[]): void {
    const peer = this.peer;
    if (this.#isClosed || peer === undefined || peer.#isClosed) return;
    for (const chunk of chunks) {
      if (chunk.byteLength === 0) continue;
      peer.#inbox.push(chunk);
      peer.#inboxBytes += chunk.byteLength;
    }
    peer.#schedule();
  }

  pause(): void {
    this.#isPaused = true;
  }

  resume(): void {
    this.#isPaused = false;
    this.#schedule();
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#inbox = [];
    this.#inboxBytes = 0;
    const peer = this.peer;
    if (peer !== undefined) {
      peer.#isPeerClosed = true;
      peer.#schedule();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#isScheduled || this.#sink === undefined) return;
    this.#isScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#isScheduled = false;
    const sink = this.#sink;
    if (sink === undefined || this.#hasReportedClose) return;
    while (!this.#isClosed && !this.#isPaused && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.byteLength;
      sink.onTransportData(chunk);
    }
    // Like a socket: the peer's end is seen after the bytes it wrote before closing.
    const isDrained = this.#inbox.length === 0;
    if (this.#isClosed || (this.#isPeerClosed && isDrained)) {
      this.#hasReportedClose = true;
      this.#isClosed = true;
      sink.onTransportClose();
    }
  }
}

/** Two connected transports, `[a, b]`: bytes written to `a` are read from `b`, and back. */
export function createTransportPair(
  names: [string, string] = ['memory-a', 'memory-b'],
): [Transport, Transport] {
  const a = new MemoryTransport(names[1]);
  const b = new MemoryTransport(names[0]);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
