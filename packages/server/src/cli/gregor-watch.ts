/**
 * `gregor watch`: follow one user's changes from a terminal or a script, as JSON Lines (one JSON
 * object per line): `item` (created), `dismiss`, `oob`, and `status` as the connection comes and
 * goes. It runs a GregorClient, so a dropped connection is reconnected with backoff and what was
 * missed meanwhile is printed after the sync; when the reconnect policy gives up (gregord gone
 * for good) or the token is refused, it exits non-zero.
 */
import { GregorClient, type ReconnectPolicy } from 'gregor-client';
import { gregorError } from 'gregor-client/errors';
import { type Message, type SessionToken, toHex } from 'gregor-client/protocol';
import { HandlerRegistry } from 'gregor-client/rpc';
import { openSession } from './gregor-client.js';
import { messageEvents } from './gregor-events.js';
import { withLogin } from './gregor-items.js';
import type { SessionFlags } from './gregor-options.js';

type Print = (text: string) => void;
type ClientStatus = GregorClient['currentStatus'];

/** The `status` line of a client status. */
function statusEvent(status: ClientStatus): Record<string, unknown> {
  const reason = 'error' in status && status.error !== undefined ? status.error.message : undefined;
  const base = { event: 'status', ...(reason === undefined ? {} : { reason }) };
  switch (status.type) {
    case 'connecting':
      return { ...base, status: 'connecting' };
    case 'connected':
      return { ...base, status: 'online' };
    case 'disconnected':
      return { ...base, status: 'offline' };
    case 'reconnecting':
      return { ...base, status: 'reconnecting', attempt: status.attempt, inMs: status.delayMs };
    case 'closed':
      return { ...base, status: 'closed' };
  }
}

/**
 * Print the user's changes until `stop` is aborted (resolves) or the client closes on its own
 * (rejects with why). `notify` is told once the first connection is up.
 */
export async function watch(
  flags: SessionFlags & { reconnect: ReconnectPolicy },
  print: Print,
  stop: AbortSignal,
  notify: Print,
): Promise<void> {
  const line = (event: Record<string, unknown>): void => print(JSON.stringify(event));
  // The client keeps one user's state: whose, the token says (or --uid, for the superuser).
  const uid = flags.uid ?? (await withLogin(flags, async (_client, who) => who));
  const client = new GregorClient({
    uid,
    token: flags.token as SessionToken,
    connect: (signal) => openSession(flags.target, new HandlerRegistry(), signal),
    callTimeoutMs: flags.target.timeoutMs,
    syncTimeoutMs: flags.target.timeoutMs,
    reconnect: flags.reconnect,
  });
  // A sync returns the messages from the latest ctime on, that one included: the ids printed at
  // the latest ctime are kept, so a message is printed once.
  let latest = { ctime: 0, ids: new Set<string>() };
  const printMessage = (m: Message): void => {
    const md = m.ibm?.stateUpdate?.md;
    if (md !== undefined) {
      if (md.ctime > latest.ctime) latest = { ctime: md.ctime, ids: new Set() };
      if (md.ctime === latest.ctime) latest.ids.add(toHex(md.msgID));
    }
    messageEvents(m).forEach(line);
  };
  const isPrinted = (md: { ctime: number; msgID: Uint8Array }): boolean =>
    md.ctime < latest.ctime || (md.ctime === latest.ctime && latest.ids.has(toHex(md.msgID)));
  client.on('message', printMessage);
  let syncs = 0;
  client.on('sync', (outcome) => {
    // The first sync is the starting point; later ones bring what a drop made us miss.
    if (syncs++ === 0) return;
    if (outcome.isFresh) line({ event: 'status', status: 'resynced' });
    else {
      for (const m of outcome.messages) {
        if (m.stateUpdate === undefined || !isPrinted(m.stateUpdate.md)) printMessage({ ibm: m });
      }
    }
  });
  const statuses = (async () => {
    let isFirst = true;
    for await (const status of client.status()) {
      // The iterator starts with the status before start(): not a drop, so not printed.
      const isInitial = isFirst && status.type === 'disconnected' && status.error === undefined;
      isFirst = false;
      if (!isInitial) line(statusEvent(status));
    }
  })();
  const stopped = new Promise<'stopped'>((resolve) => {
    if (stop.aborted) resolve('stopped');
    stop.addEventListener('abort', () => resolve('stopped'), { once: true });
  });
  try {
    // A first connection that never comes is reported by closed(), below.
    const started = client.start().then(
      () => 'started' as const,
      () => 'failed' as const,
    );
    const first = await Promise.race([started, stopped]);
    if (first === 'started')
      notify(`watching ${Buffer.from(uid).toString('hex')} (Ctrl-C to stop)`);
    const end = await Promise.race([client.closed(), stopped]);
    if (end !== 'stopped') {
      throw gregorError(
        'GREGOR_ERR_CLOSED',
        `gregord is gone: stopped reconnecting${end === undefined ? '' : ` (${end.message})`}`,
      );
    }
  } finally {
    await client.close();
    await statuses;
  }
}
