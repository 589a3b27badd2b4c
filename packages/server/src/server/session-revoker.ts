/**
 * Session revocation across the cluster: gregord's own addition for signed tokens (and the mock),
 * which have no authd to push revocations (Keybase's authd does it for its own sessions). A
 * revocation is applied here — the authenticator refuses the sessions from now on, and the local
 * connections they cover are checked again and closed — and announced on the bus, so every other
 * instance applies it the same way. Each instance remembers a revocation only as long as a token it
 * refuses could still be valid (the authenticator prunes them).
 *
 * An instance started after the announcement, or cut off from the bus at that moment, does not
 * learn of it; the operator repeats the revocation then (it is idempotent).
 */

import { gregorError } from 'gregor-client/errors';
import { toHex } from 'gregor-client/protocol';
import type { Logger } from 'pino';
import type { Authenticator, Revocation, RevokeRequest } from '../auth/index.js';
import type { Bus } from '../pubsub/index.js';
import type { Connection } from './connection.js';
import type { ServerMetrics } from './metrics.js';
import { decodeRevocations, encodeRevocations } from './revocation-message.js';

/** What a SessionRevoker works with. */
export interface SessionRevokerServices {
  readonly authenticator: Authenticator;
  readonly bus: Bus;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The open connections of this instance. */
  connections(): Iterable<Connection>;
}

/** Applies revocations here and announces them to the other instances. */
export class SessionRevoker {
  readonly #services: SessionRevokerServices;

  constructor(services: SessionRevokerServices) {
    this.#services = services;
  }

  /**
   * Revoke what `request` names on every instance; resolves with the number of connections
   * closed on this one. Rejects with GREGOR_ERR_INPUT_INVALID when it names nothing,
   * GREGOR_ERR_AUTH_REVOKE_UNSUPPORTED when the authenticator leaves revocation to its authority
   * (authd), GREGOR_ERR_AUTH_FAILED for a token it cannot read (nothing is revoked then), and
   * GREGOR_ERR_BUS_FAILED when the announcement failed (the revocation holds here all the same).
   */
  async revoke(request: RevokeRequest): Promise<number> {
    const { authenticator, bus, metrics, logger } = this.#services;
    if (
      (request.tokens?.length ?? 0) +
        (request.sessionIDs?.length ?? 0) +
        (request.uids?.length ?? 0) ===
      0
    ) {
      throw gregorError(
        'GREGOR_ERR_INPUT_INVALID',
        'revoke: name at least one token, session id or uid',
      );
    }
    if (
      authenticator.revocationsFor === undefined ||
      authenticator.applyRevocations === undefined
    ) {
      throw gregorError(
        'GREGOR_ERR_AUTH_REVOKE_UNSUPPORTED',
        'sessions are revoked by the authentication server (authd) of this gregord, not by gregord',
      );
    }
    const revocations = authenticator.revocationsFor(request);
    const closed = await this.#apply(revocations);
    metrics.revocations.inc({ source: 'local' });
    logger.info({ revocations: describe(revocations), closed }, 'sessions revoked');
    try {
      await bus.announce(encodeRevocations(revocations));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw gregorError(
        'GREGOR_ERR_BUS_FAILED',
        `revoked on this instance, but telling the others failed: ${detail}`,
        { cause: err },
      );
    }
    return closed;
  }

  /** A revocation announced by another instance. Never throws: a bad one is logged and dropped. */
  onAnnouncement(payload: Uint8Array): void {
    const { authenticator, metrics, logger } = this.#services;
    let revocations: Revocation[];
    try {
      revocations = decodeRevocations(payload);
    } catch (err) {
      logger.warn({ err }, 'dropped a malformed revocation announcement');
      return;
    }
    if (authenticator.applyRevocations === undefined) return;
    metrics.revocations.inc({ source: 'bus' });
    this.#apply(revocations).then(
      (closed) =>
        logger.info(
          { revocations: describe(revocations), closed },
          'sessions revoked by another instance',
        ),
      (err: unknown) => logger.error({ err }, 'applying a revocation failed'),
    );
  }

  /** Record `revocations`, then check again, and so close, the local connections they cover. */
  async #apply(revocations: readonly Revocation[]): Promise<number> {
    this.#services.authenticator.applyRevocations?.(revocations);
    const sids = new Set<string>();
    const uids = new Set<string>();
    for (const r of revocations) {
      if (r.kind === 'session') sids.add(r.sid);
      else uids.add(toHex(r.uid));
    }
    const checks: Promise<boolean>[] = [];
    for (const conn of this.#services.connections()) {
      const auth = conn.auth;
      if (auth !== undefined && (sids.has(auth.sid) || uids.has(toHex(auth.uid)))) {
        checks.push(conn.recheck());
      }
    }
    const results = await Promise.all(checks);
    return results.filter(Boolean).length;
  }
}

/** The revocations for a log line: kinds and ids, no tokens. */
function describe(revocations: readonly Revocation[]): string[] {
  return revocations.map((r) =>
    r.kind === 'session' ? `session ${r.sid}` : `user ${toHex(r.uid)}`,
  );
}
