/**
 * `gregor revoke`: end sessions on every gregord of the cluster, with a superuser token, through
 * gregord's own `gregord.1.admin.revokeSessions`. The gregord it reaches closes their connections,
 * refuses their tokens from then on, and tells the other instances through the bus.
 */
import { GREGORD_METHODS, type RevokeSessionsArg } from 'gregor-client/protocol';
import { toJson } from './gregor-client.js';
import { withLogin } from './gregor-items.js';
import type { SessionFlags } from './gregor-options.js';

/** Revoke what `flags.request` names; prints `{"closed": n}`, the connections closed there. */
export function revokeSessions(
  flags: SessionFlags & { request: RevokeSessionsArg },
  print: (text: string) => void,
): Promise<void> {
  return withLogin(flags, async (client) => {
    print(toJson(await client.callSpec(GREGORD_METHODS.revokeSessions, flags.request)));
  });
}
