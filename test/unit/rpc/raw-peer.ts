/**
 * The far end of an in-memory transport, driven by hand: it sends raw messages or bytes and
 * collects what the session under test writes, decoded, so tests can assert exact wire values.
 */
import {
  decodeMsgpack,
  encodeCanonical,
  fromHex,
} from '../../../packages/client/src/protocol/index.js';
import {
  createTransportPair,
  encodeFrame,
  FrameDecoder,
  type RpcLimitsInput,
  type RpcLogger,
  RpcSession,
  type Transport,
  type TransportSink,
} from '../../../packages/client/src/rpc/internal.js';

export class RawPeer implements TransportSink {
  readonly received: unknown[] = [];
  isClosed = false;
  readonly #transport: Transport;
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024);
  #wake: (() => void)[] = [];

  constructor(transport: Transport) {
    this.#transport = transport;
    transport.attach(this);
  }

  onTransportData(chunk: Uint8Array): void {
    this.#decoder.push(chunk);
    for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
      this.received.push(decodeMsgpack(f));
    }
    this.#notify();
  }

  onTransportClose(): void {
    this.isClosed = true;
    this.#notify();
  }

  /** Send one message array. */
  send(message: unknown[]): void {
    this.#transport.write([encodeFrame(encodeCanonical(message))]);
  }

  /** Send raw bytes given in hex. */
  sendHex(hex: string): void {
    this.#transport.write([fromHex(hex)]);
  }

  pause(): void {
    this.#transport.pause();
  }

  resume(): void {
    this.#transport.resume();
  }

  /** Wait until `n` messages in all have been received. */
  async waitFor(n: number): Promise<unknown[]> {
    while (this.received.length < n) {
      if (this.isClosed) throw new Error(`closed after ${this.received.length} of ${n} messages`);
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
    return this.received.slice(0, n);
  }

  /** Wait until the transport reports closed. */
  async waitClosed(): Promise<void> {
    while (!this.isClosed) await new Promise<void>((resolve) => this.#wake.push(resolve));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const resolve of wake) resolve();
  }
}

/** Let queued microtasks (in-memory deliveries, handler continuations) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A session under test on one end of an in-memory pair, a RawPeer on the other. */
export interface SessionUnderTest {
  session: RpcSession;
  peer: RawPeer;
  /** 'error:<code>' and 'close:<code|clean>' in the order the session emitted them. */
  events: string[];
  /** What the session logged. */
  logged: { level: string; obj: object }[];
}

/** Open a session with `limits` facing a RawPeer, recording its events and logs. */
export function sessionWithPeer(limits: RpcLimitsInput = {}): SessionUnderTest {
  const [a, b] = createTransportPair();
  const logged: { level: string; obj: object }[] = [];
  const logger: RpcLogger = {
    debug: (obj) => logged.push({ level: 'debug', obj }),
    warn: (obj) => logged.push({ level: 'warn', obj }),
    error: (obj) => logged.push({ level: 'error', obj }),
  };
  const session = new RpcSession(a, { limits, logger });
  const events: string[] = [];
  session.on('error', (err) => events.push(`error:${err.code}`));
  session.on('close', (err) => events.push(`close:${err?.code ?? 'clean'}`));
  return { session, peer: new RawPeer(b), events, logged };
}
