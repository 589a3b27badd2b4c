/**
 * What the Hub needs of a connection: an id, the uid it was authenticated as, a way to hand it an
 * encoded broadcast, and a way to close it. `Connection` implements it; tests may use a stand-in.
 */
import type { ConnectedDevice, UID } from 'gregor-client/protocol';

/** A live, authenticated connection as the Hub and its actors see it. */
export interface HubMember {
  /** Unique within the server; appears in every log line about the connection. */
  readonly id: number;
  /** The session uid the connection was authenticated as (the actor it belongs to). */
  readonly uid: UID;
  /** True once the connection started closing; a closed member is skipped. */
  readonly isClosed: boolean;
  /**
   * Start sending one `gregor.1.outgoing.broadcastMessage` whose argument bytes are already
   * encoded (encoded once per message, the same bytes for every connection).
   * Must not throw and must not wait: a member that cannot keep up (timeout, full write buffer,
   * closed socket) closes itself, and its detach goes through the Hub like any other.
   */
  deliver(encodedArgs: Uint8Array): void;
  /** Its entry in `describeConnectedUsers`. */
  describe(): ConnectedDevice;
  /** Close the connection; idempotent. `reason` is logged. */
  close(reason?: Error): void;
}
