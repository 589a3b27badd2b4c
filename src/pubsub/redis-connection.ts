/**
 * The two node-redis clients of a Redis bus: one publisher, and one subscriber made with
 * `duplicate()` (a connection in subscribed mode is reserved for pub/sub). Creating them with the
 * bounded settings, waiting for the first connection with a deadline, and closing them.
 */
import { createClient, type RedisClientType } from 'redis';
import { gregorError } from '../errors.js';
import { withDeadline } from '../state/index.js';
import type { ResolvedRedisBusOptions } from './redis-bus-options.js';

/** A node-redis client as this layer uses it. */
export type RedisClient = RedisClientType;

/** How long `close` lets each client finish its pending commands before it drops the socket. */
export const CLOSE_GRACE_MS = 1000;

/** The publisher and subscriber clients, not yet connected. */
export function createClients(options: ResolvedRedisBusOptions): {
  publisher: RedisClient;
  subscriber: RedisClient;
} {
  const publisher = createClient({
    url: options.url,
    // Bounded: while Redis is down a command fails at once instead of waiting in an offline
    // queue, and at most maxPendingPublishes commands wait for replies (STYLE.md §5.4).
    disableOfflineQueue: true,
    commandsQueueMaxLength: options.maxPendingPublishes,
    socket: { connectTimeout: options.connectTimeoutMs, reconnectStrategy: options.reconnect },
  });
  return { publisher, subscriber: publisher.duplicate() };
}

/** The message of an unknown error, for log and error text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Connect both clients, or reject with GREGOR_ERR_BUS_FAILED after `timeoutMs`. node-redis keeps
 * retrying a refused first connection through the reconnect policy, so without the deadline an
 * unreachable Redis would hang startup. The caller closes the clients on failure.
 */
export async function connectClients(clients: RedisClient[], timeoutMs: number): Promise<void> {
  try {
    await withDeadline(
      Promise.all(clients.map((client) => client.connect())),
      { timeoutMs },
      'redis connect',
    );
  } catch (err) {
    throw gregorError('GREGOR_ERR_BUS_FAILED', `redis: not connected: ${errorText(err)}`, {
      cause: err,
    });
  }
}

/** Close a client: let its pending commands finish for up to CLOSE_GRACE_MS, then drop it. */
export async function closeClient(client: RedisClient): Promise<void> {
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
