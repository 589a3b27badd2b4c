/**
 * The byte-stream seam between an RpcSession and a socket. TCP, TLS, WebSocket and the in-memory
 * pair all implement it; the session never knows which one it runs on, so the one session code
 * serves every transport and the browser build loads no Node socket.
 */

/** What a transport reports to its owner. Methods, not closures, so one object serves both roles. */
export interface TransportSink {
  /** Bytes arrived. The chunk is never reused by the transport; the sink must not modify it. */
  onTransportData(chunk: Uint8Array): void;
  /**
   * The transport closed, for good; called exactly once. `err` is set when it closed because of a
   * failure (socket error, protocol violation such as a WebSocket text message).
   */
  onTransportClose(err?: Error): void;
}

/** A bidirectional byte stream. */
export interface Transport {
  /** Start delivering events to `sink`. Called once, by the session that owns the transport. */
  attach(sink: TransportSink): void;
  /**
   * Queue `chunks` for sending, in order, as one contiguous piece of the stream. The chunks must
   * not be modified afterwards (a broadcast shares its args bytes across connections).
   */
  write(chunks: readonly Uint8Array[]): void;
  /** Bytes accepted by `write` and not yet handed to the network. */
  readonly writeBufferBytes: number;
  /** Stop delivering data (read back-pressure); bytes wait in the kernel or the peer. */
  pause(): void;
  /** Deliver data again after `pause`. */
  resume(): void;
  /**
   * Close: flush what is queued when possible, then release the socket; `onTransportClose` follows
   * once it is released. Idempotent.
   */
  close(): void;
  /** Where the peer is, for logs (`host:port`, or a name). */
  readonly remoteAddress: string;
}
