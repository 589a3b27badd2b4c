/**
 * The in-process bus: the embedded default, and a cluster
 * simulator when several buses share one {@link InProcessBroker}. It has no connection to lose,
 * so it is ready until closed and never emits resync.
 */
import { gregorError } from 'gregor-client/errors';
import type {
  AnnouncementHandler,
  Bus,
  BusHandler,
  BusLogger,
  BusStats,
  GatherHandler,
  GatherOptions,
  PublishOptions,
  ResyncHandler,
  Subscription,
} from './bus.js';
import { BusCore, consoleBusLogger } from './bus-core.js';
import { asBuffer } from './envelope.js';
import { type BrokerMember, InProcessBroker } from './in-process-broker.js';

/** Options of {@link InProcessBus}. */
export interface InProcessBusOptions {
  /** Share this broker with other buses to simulate a cluster; default: a private one. */
  broker?: InProcessBroker;
  /** Where handler failures are logged; default: stderr. */
  logger?: BusLogger;
}

const RESOLVED = Promise.resolve();
const activateNothing = (): Promise<void> => RESOLVED;

function keyOf(uid: Uint8Array): string {
  return asBuffer(uid).toString('hex');
}

/** A {@link Bus} between the buses of one process. */
export class InProcessBus implements Bus {
  readonly #core: BusCore;
  readonly #broker: InProcessBroker;
  readonly #member: BrokerMember;

  constructor(options: InProcessBusOptions = {}) {
    this.#core = new BusCore(options.logger ?? consoleBusLogger, keyOf, () => RESOLVED);
    this.#broker = options.broker ?? new InProcessBroker();
    const core = this.#core;
    this.#member = {
      instanceId: core.instanceId,
      receive: (key, payload) => core.deliver(key, payload),
      receiveAnnouncement: (payload) => core.announced(payload),
      answerGather: (request) => core.answerGather(request),
    };
    this.#broker.join(this.#member);
  }

  get instanceId(): string {
    return this.#core.instanceId;
  }

  get isReady(): boolean {
    return !this.#core.isClosed;
  }

  async publish(uid: Uint8Array, payload: Uint8Array, opts?: PublishOptions): Promise<void> {
    this.#core.assertOpen('publish');
    const key = this.#core.keyOf(uid);
    this.#core.assertPayload(payload);
    if (opts?.signal?.aborted) throw gregorError('GREGOR_ERR_ABORTED', 'publish aborted');
    this.#broker.publish(this.#member, key, payload);
    this.#core.counters.published++;
  }

  async announce(payload: Uint8Array, opts?: PublishOptions): Promise<void> {
    this.#core.assertOpen('announce');
    this.#core.assertPayload(payload);
    if (opts?.signal?.aborted) throw gregorError('GREGOR_ERR_ABORTED', 'announce aborted');
    this.#broker.announce(this.#member, payload);
  }

  onAnnouncement(handler: AnnouncementHandler): () => void {
    return this.#core.onAnnouncement(handler);
  }

  subscribe(uid: Uint8Array, handler: BusHandler): Promise<Subscription> {
    return this.#core.subscribe(uid, handler, activateNothing);
  }

  onResync(handler: ResyncHandler): () => void {
    return this.#core.onResync(handler);
  }

  async gather(request: Uint8Array, opts: GatherOptions): Promise<Uint8Array[]> {
    this.#core.assertOpen('gather');
    const gathers = this.#core.gathers;
    const { id, result } = gathers.start(opts.timeoutMs, opts.signal);
    const others = this.#broker.others(this.#member);
    gathers.expect(id, others.length);
    for (const other of others) {
      this.#core.detach(
        other.answerGather(request).then((answer) => gathers.reply(id, answer)),
        'in-process gather',
      );
    }
    return result;
  }

  onGather(handler: GatherHandler): () => void {
    return this.#core.onGather(handler);
  }

  stats(): BusStats {
    return this.#core.stats();
  }

  async close(): Promise<void> {
    if (this.#core.close()) this.#broker.leave(this.#member);
  }
}
