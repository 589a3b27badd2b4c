/**
 * Hub: the table uid → UserActor and the bus subscription of each uid (the main goroutine of
 * Keybase's gregord; docs/architecture.md, "4. The Hub and the user's lane"). Every change to a
 * user (attach, detach, consume, broadcast, a message from another instance) is a job in that
 * user's Mailbox lane, so they happen one at a time, in the order they were asked for.
 *
 * Rule 3 (the last connection of a user closing while a new one arrives) follows from that: the
 * actor is created and subscribed in the same job as its first attach, and unsubscribed and
 * removed in the same job as its last detach. No job of the user can run in between, so there is
 * never an actor with connections but no subscription, never an actor without connections left
 * behind, and a broadcast enqueued after an attach always finds the new connection.
 *
 * Consumes are the one kind of job that runs in groups: the consumes of a user waiting right
 * behind each other in its lane run as one batch through the Pipeline, so they share a storage
 * commit, and each caller still gets its own outcome. Any other job ends a batch, so it keeps its
 * place among the consumes.
 */

import { gregorError } from 'gregor-client/errors';
import type { ConnectedUser, Message, UID } from 'gregor-client/protocol';
import { toHex } from 'gregor-client/protocol';
import type { Consumed } from 'gregor-client/state';
import type { Logger } from 'pino';
import type { Bus } from '../pubsub/index.js';
import { encodeBroadcastArgs } from './broadcast-payload.js';
import { Delivery } from './delivery.js';
import type { HubMember } from './hub-member.js';
import { type JobGroup, Mailbox, type MailboxOptions } from './mailbox.js';
import { resyncMessage } from './message-edit.js';
import type { Pipeline } from './pipeline.js';
import { UserActor } from './user-actor.js';

/** What a Hub is built from. */
export interface HubOptions {
  bus: Bus;
  pipeline: Pipeline;
  logger: Logger;
  mailbox?: MailboxOptions;
}

const CONTROL = { bounded: false } as const;

/**
 * Most consumes of one user run as one batch (the SQL engine's default group-commit size): a
 * long queue is stored in a few commits, and its first callers are answered without waiting for
 * the whole queue.
 */
export const MAX_CONSUMES_PER_BATCH = 256;

/** A consume waiting in its user's lane. */
interface ConsumeJob {
  readonly uid: UID;
  readonly m: Message;
}

/** Owns the user actors of this instance and serialises everything that happens to a user. */
export class Hub {
  readonly #bus: Bus;
  readonly #pipeline: Pipeline;
  readonly #logger: Logger;
  readonly #mailbox: Mailbox<string>;
  readonly #actors = new Map<string, UserActor>();
  readonly #consumes: JobGroup<string, ConsumeJob, Consumed> = {
    maxBatch: MAX_CONSUMES_PER_BATCH,
    run: (key, jobs) => this.#consumeNow(key, jobs),
  };
  #isClosing = false;
  #subscriptions = 0;

  constructor(opts: HubOptions) {
    this.#bus = opts.bus;
    this.#pipeline = opts.pipeline;
    this.#logger = opts.logger;
    this.#mailbox = new Mailbox(opts.mailbox);
  }

  /** Users with at least one local connection. */
  get actorCount(): number {
    return this.#actors.size;
  }

  /**
   * Bus subscriptions taken and not yet given up (the unsubscribe starts in the job that removes
   * the actor, and that job finishes only when it is done): one per actor at all times (rule 3).
   */
  get subscriptionCount(): number {
    return this.#subscriptions;
  }

  /** The per-user job queue, for metrics and draining. */
  get mailbox(): Mailbox<string> {
    return this.#mailbox;
  }

  /** The actor of `uid`, if it has local connections (tests and invariant checks). */
  actorOf(uid: UID): UserActor | undefined {
    return this.#actors.get(toHex(uid));
  }

  /** Every actor (tests and invariant checks). */
  actors(): IterableIterator<UserActor> {
    return this.#actors.values();
  }

  /**
   * Add an authenticated connection to its user's actor, creating and subscribing the actor if it
   * is the first (rule 2: only authenticated connections get here). A member closed by the time
   * the job runs is skipped. Rejects when the hub is closing or the bus refuses the subscription.
   */
  attach(member: HubMember): Promise<void> {
    const key = toHex(member.uid);
    return this.#mailbox.run(key, () => this.#attachNow(key, member), CONTROL);
  }

  /** Remove a connection; the last one removes and unsubscribes the actor. Never rejects. */
  detach(member: HubMember): Promise<void> {
    const key = toHex(member.uid);
    return this.#mailbox.run(key, () => this.#detachNow(key, member), CONTROL);
  }

  /**
   * Run `m` (already validated and authorised) for `uid` through the pipeline, after every earlier
   * job of the user, in one batch with the user's consumes queued next to it. Rejects with its own
   * storage error (nothing of it published or broadcast, rule 1), GREGOR_ERR_OVERLOADED when the
   * user's queue is full, or GREGOR_ERR_CLOSED while closing. Resolves with the message as stored
   * (its ctime stamped) and whether its msgID was a retry.
   */
  consume(uid: UID, m: Message): Promise<Consumed> {
    if (this.#isClosing) return Promise.reject(closedError());
    return this.#mailbox.runGrouped(toHex(uid), this.#consumes, { uid, m });
  }

  /**
   * Broadcast `m` to the local connections of `uid` only: nothing stored, nothing published
   * (consumePublishMessage).
   */
  broadcastLocal(uid: UID, m: Message): Promise<void> {
    if (this.#isClosing) return Promise.reject(closedError());
    const key = toHex(uid);
    return this.#mailbox.run(key, () => {
      const actor = this.#actors.get(key);
      if (actor !== undefined) actor.deliver(encodeBroadcastArgs(m));
    });
  }

  /**
   * Send every local connection the out-of-band `gregor.resync` message, in its user's order,
   * after the bus reported that messages from other instances may have been lost.
   */
  resyncAll(): void {
    for (const [key, actor] of this.#actors) {
      this.#enqueueDelivery(key, () => encodeBroadcastArgs(resyncMessage(actor.uid)));
    }
  }

  /** As {@link resyncAll}, for the local connections of `uids` only (one shard's users). */
  resync(uids: readonly Uint8Array[]): void {
    for (const uid of uids) {
      const key = toHex(uid);
      const actor = this.#actors.get(key);
      if (actor === undefined) continue;
      this.#enqueueDelivery(key, () => encodeBroadcastArgs(resyncMessage(actor.uid)));
    }
  }

  /** The local view of `uids` for describeConnectedUsers(Internal); users without connections are left out. */
  describe(uids: readonly UID[]): ConnectedUser[] {
    const out: ConnectedUser[] = [];
    const seen = new Set<string>();
    for (const uid of uids) {
      const key = toHex(uid);
      const actor = this.#actors.get(key);
      if (actor === undefined || seen.has(key)) continue;
      seen.add(key);
      const user = actor.describe();
      if (user.devices.length > 0) out.push(user);
    }
    return out;
  }

  /** Refuse new consumes and broadcasts; jobs already queued still run. Attach is refused too. */
  stopAccepting(): void {
    this.#isClosing = true;
  }

  /** Resolve once no user has a job running or waiting. */
  drain(): Promise<void> {
    return this.#mailbox.whenIdle();
  }

  async #attachNow(key: string, member: HubMember): Promise<void> {
    if (this.#isClosing) throw closedError();
    if (member.isClosed) return;
    let actor = this.#actors.get(key);
    if (actor === undefined) {
      const uid = member.uid;
      const subscription = await this.#bus.subscribe(uid, (payload) =>
        this.#enqueueDelivery(key, () => payload),
      );
      this.#subscriptions++;
      actor = new UserActor(uid, key, subscription);
      this.#actors.set(key, actor);
    }
    actor.add(member);
  }

  /** Run a batch of one user's consumes; each gets the stored message or its own error. */
  async #consumeNow(
    key: string,
    jobs: readonly ConsumeJob[],
  ): Promise<PromiseSettledResult<Consumed>[]> {
    const recipients = this.#actors.get(key);
    const deliveries = jobs.map(({ uid, m }) => new Delivery(uid, m, recipients));
    const outcomes = await this.#pipeline.runBatch(deliveries);
    return outcomes.map((outcome, i) => {
      if (outcome.status === 'rejected') return outcome;
      const { message, isDuplicate } = deliveries[i]!;
      return { status: 'fulfilled', value: { message, isDuplicate } };
    });
  }

  async #detachNow(key: string, member: HubMember): Promise<void> {
    const actor = this.#actors.get(key);
    if (actor === undefined || !actor.remove(member) || actor.size > 0) return;
    this.#actors.delete(key);
    this.#subscriptions--;
    await actor.subscription.unsubscribe();
  }

  /**
   * Deliver bytes to a user's connections as a job of its lane (messages from other instances and
   * resync notices). If the lane is full, the user's connections are closed: they would miss a
   * message otherwise, and a reconnecting client syncs.
   */
  #enqueueDelivery(key: string, bytes: () => Uint8Array): void {
    this.#mailbox
      .run(key, () => {
        const actor = this.#actors.get(key);
        if (actor !== undefined && actor.size > 0) actor.deliver(bytes());
      })
      .catch((err: unknown) => {
        this.#logger.warn({ err, uid: key }, 'dropping a delivery; closing the user connections');
        this.#actors
          .get(key)
          ?.closeAll(gregorError('GREGOR_ERR_OVERLOADED', undefined, { cause: err }));
      });
  }
}

function closedError(): Error {
  return gregorError('GREGOR_ERR_CLOSED', 'server is closing');
}
