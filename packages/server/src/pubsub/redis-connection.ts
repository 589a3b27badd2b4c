/**
 * The two node-redis clients of a Redis bus: one publisher, and one subscriber made with
 * `duplicate()` (a connection in subscribed mode is reserved for pub/sub). Creating them with the
 * bounded settings, waiting for the first connection with a deadline, and closing them.
 */

import { gregorError, isGregorError } from 'gregor-client/errors';
import { withDeadline } from 'gregor-client/state/internal';
import { createClient, type RedisClientType } from 'redis';
import { type ResolvedRedisBusOptions, redisReconnectStrategy } from './redis-bus-options.js';

/** A node-redis client as this layer uses it. */
export type RedisClient = RedisClientType;

/** How long `close` lets each client finish its pending commands before it drops the socket. */
export const CLOSE_GRACE_MS = 1000;

/** The publisher and subscriber clients, not yet connected. */
export function createClients(options: ResolvedRedisBusOptions & { url: string }): {
  publisher: RedisClient;
  subscriber: RedisClient;
} {
  const socket = {
    connectTimeout: options.connectTimeoutMs,
    reconnectStrategy: redisReconnectStrategy(options.reconnect),
  };
  // The URL carries the user, the password and, with rediss://, TLS; node-redis reads them all.
  const isTls = new URL(options.url).protocol === 'rediss:';
  const publisher = createClient({
    url: options.url,
    // Bounded: while Redis is down a command fails at once instead of waiting in an offline
    // queue, and at most maxPendingPublishes commands wait for replies.
    disableOfflineQueue: true,
    commandsQueueMaxLength: options.maxPendingPublishes,
    socket:
      isTls && options.tlsCa !== undefined
        ? { ...socket, tls: true as const, ca: options.tlsCa }
        : socket,
  });
  return { publisher, subscriber: publisher.duplicate() };
}

/**
 * Errors no retry can mend: credentials Redis refuses, a certificate that does not verify, TLS
 * spoken to a plain port. The first connection fails at once on them instead of waiting out its
 * deadline.
 */
export function isPermanentConnectError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return true;
  }
  return (
    typeof message === 'string' &&
    /^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR .*\b(AUTH|password)\b/.test(message)
  );
}

/** The message of an unknown error, for log and error text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Connect both clients, or reject with GREGOR_ERR_BUS_FAILED: at once on a permanent error
 * (isPermanentConnectError), otherwise after `timeoutMs` with the last error seen as its cause.
 * node-redis keeps retrying a refused first connection through the reconnect policy, so without
 * the deadline an unreachable Redis would hang startup. The caller closes the clients on failure.
 */
export async function connectClients(clients: RedisClient[], timeoutMs: number): Promise<void> {
  let lastError: unknown;
  let failNow: (err: unknown) => void = () => undefined;
  const permanent = new Promise<never>((_, reject) => {
    failNow = reject;
  });
  const onError = (err: unknown): void => {
    lastError = err;
    if (isPermanentConnectError(err)) failNow(err);
  };
  for (const client of clients) client.on('error', onError);
  try {
    await withDeadline(
      Promise.race([Promise.all(clients.map((client) => client.connect())), permanent]),
      { timeoutMs },
      'redis connect',
    );
  } catch (err) {
    const isTimeout = isGregorError(err, 'GREGOR_ERR_TIMEOUT');
    const cause = isTimeout && lastError !== undefined ? lastError : err;
    const when = isTimeout ? ` within ${timeoutMs} ms` : '';
    throw gregorError('GREGOR_ERR_BUS_FAILED', `redis: not connected${when}: ${errorText(cause)}`, {
      cause,
    });
  } finally {
    for (const client of clients) client.off('error', onError);
  }
}

/** What {@link closeClient} needs: a node-redis client or cluster client. */
export interface Closable {
  readonly isOpen: boolean;
  close(): Promise<unknown>;
  destroy(): unknown;
}

/** Close a client: let its pending commands finish for up to CLOSE_GRACE_MS, then drop it. */
export async function closeClient(client: Closable): Promise<void> {
  if (!client.isOpen) return;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS);
  });
  try {
    const outcome = await Promise.race([client.close().then(() => 'closed' as const), grace]);
    if (outcome === 'late') client.destroy();
  } catch {
    // close() throws when the client already stopped (e.g. its reconnect policy gave up).
    client.destroy();
  } finally {
    clearTimeout(timer);
  }
}
