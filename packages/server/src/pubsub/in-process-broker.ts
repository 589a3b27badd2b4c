/**
 * The meeting point of in-process buses. Every `InProcessBus` joined to one broker acts as one
 * gregord instance of a cluster, so tests (and a process embedding several hubs) can run a
 * cluster without Redis. A bus made without a broker gets a private one: a cluster of one, the
 * embedded default, where publishing reaches nobody because the server already broadcast locally.
 */

/** What a broker needs of a joined bus. Internal to the pubsub layer. */
export interface BrokerMember {
  readonly instanceId: string;
  /** A publication for the uid `key` from another member. */
  receive(key: string, payload: Uint8Array): void;
  /** An announcement from another member. */
  receiveAnnouncement(payload: Uint8Array): void;
  /** A cluster query from another member; null means "no answer". Never rejects. */
  answerGather(request: Uint8Array): Promise<Uint8Array | null>;
}

/** Connects the in-process buses that make up one simulated cluster. */
export class InProcessBroker {
  readonly #members = new Set<BrokerMember>();

  /** Number of joined buses. */
  get size(): number {
    return this.#members.size;
  }

  /** Add a bus (InProcessBus does this itself). */
  join(member: BrokerMember): void {
    this.#members.add(member);
  }

  /** Remove a bus (on its close). */
  leave(member: BrokerMember): void {
    this.#members.delete(member);
  }

  /**
   * Queue `payload` for every member but `from`. Delivery runs in a later microtask, as a real
   * transport would, in publication order: the FIFO microtask queue keeps the order per uid.
   */
  publish(from: BrokerMember, key: string, payload: Uint8Array): void {
    for (const member of this.#members) {
      if (member !== from) queueMicrotask(() => member.receive(key, payload));
    }
  }

  /** Queue `payload` as an announcement for every member but `from`, in order. */
  announce(from: BrokerMember, payload: Uint8Array): void {
    for (const member of this.#members) {
      if (member !== from) queueMicrotask(() => member.receiveAnnouncement(payload));
    }
  }

  /** Every member but `from`. */
  others(from: BrokerMember): BrokerMember[] {
    return [...this.#members].filter((member) => member !== from);
  }
}
