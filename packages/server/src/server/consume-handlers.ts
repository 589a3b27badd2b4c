/**
 * The three consume methods (docs/protocol.md, "Methods"): validate with the configured limits,
 * check the session against the message's uid, then hand the message to the Hub, which runs it
 * through the user's mailbox (storage → publisher → broadcaster, or broadcast only).
 */
import { gregorError } from 'gregor-client/errors';
import { type Message, messageUID, type UID, validateConsumeMessage } from 'gregor-client/protocol';
import type { Consumed } from 'gregor-client/state';
import type { DispatchServices, MethodImpl } from './dispatch-services.js';
import { withUID } from './message-edit.js';
import { type ConsumeKind, resultLabel } from './metrics.js';

/** Run `fn`, counting it in the consume metrics as `kind`. */
export async function counted<T>(
  services: DispatchServices,
  kind: ConsumeKind,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    const result = await fn();
    services.metrics.consumes.inc({ kind, result: 'ok' });
    return result;
  } catch (err) {
    services.metrics.consumes.inc({ kind, result: resultLabel(err) });
    throw err;
  }
}

/** Validate `m` and return its uid ("no valid UID in message"). */
export function validated(services: DispatchServices, m: Message): UID {
  validateConsumeMessage(m, services.settings.consumeLimits);
  const uid = messageUID(m);
  if (uid === null) throw gregorError('GREGOR_ERR_INPUT_INVALID', 'no valid UID in message');
  return uid;
}

/** `consumeMessage`: validate → auth on the message uid → store, publish, broadcast. */
export const consumeMessage: MethodImpl<'consumeMessage'> = {
  run: (services, conn, { m }, signal) =>
    counted(services, 'message', async () => {
      const uid = validated(services, m);
      await conn.authorize(uid, signal);
      await services.hub.consume(uid, m);
    }),
};

/**
 * `consumePublishMessage` (superuser; a refused session is closed): broadcast to the uid's
 * local connections only; nothing is stored or published again.
 */
export const consumePublishMessage: MethodImpl<'consumePublishMessage'> = {
  closeOnDenied: true,
  run: (services, _conn, { m }) =>
    counted(services, 'publish', () => services.hub.broadcastLocal(validated(services, m), m)),
};

/**
 * `consumeMessageMulti` (superuser): for each uid, a copy of the message with that uid goes the
 * normal consume path (the public gregord has no code for it). Every copy is validated before any
 * is consumed; the users' consumes then run concurrently, and the first failure is returned.
 */
export const consumeMessageMulti: MethodImpl<'consumeMessageMulti'> = {
  run: async (services, _conn, { msg, uids }) => {
    await consumeForEach(services, uids, msg);
  },
};

/**
 * Consume a copy of `msg` for each of `uids` (see consumeMessageMulti), counted as a `multi`
 * consume; resolves with each copy as stored, in the order of `uids`.
 */
export function consumeForEach(
  services: DispatchServices,
  uids: readonly UID[],
  msg: Message,
): Promise<Consumed[]> {
  return counted(services, 'multi', async () => {
    const copies = uids.map((uid) => withUID(msg, uid));
    for (const copy of copies) validated(services, copy);
    const results = await Promise.allSettled(
      copies.map((copy, i) => services.hub.consume(uids[i]!, copy)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<Consumed>).value);
  });
}
