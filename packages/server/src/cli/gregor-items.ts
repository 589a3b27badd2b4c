/**
 * `gregor add`, `gregor dismiss`, `gregor watch` and `gregor reminders`: write in-band messages,
 * follow a user's broadcasts and pull due reminders from a terminal, so the flow socket → database → every device can be seen by hand.
 * Messages are built as Keybase clients build them (gregor-protocol.md §7: InjectItem, DismissItem).
 */
import { randomBytes } from 'node:crypto';
import {
  IN_BAND_MSG_TYPE,
  METHODS,
  type Message,
  type MsgID,
  type StateUpdateMessage,
  type UID,
} from 'gregor-client/protocol';
import { HandlerRegistry } from 'gregor-client/rpc';
import { GregorAdminClient, toJson } from './gregor-client.js';
import type { SessionFlags } from './gregor-options.js';

type Print = (text: string) => void;

/** Connect, log in, and run `fn` with the session's uid (or --uid, for the superuser). */
export async function withLogin<T>(
  flags: SessionFlags,
  fn: (client: GregorAdminClient, uid: UID) => Promise<T>,
  handlers?: HandlerRegistry,
): Promise<T> {
  const client = await GregorAdminClient.connect(flags.target, handlers);
  try {
    const session = await client.call('authenticateSessionToken', { session: flags.token });
    return await fn(client, flags.uid ?? session.uid);
  } finally {
    await client.close();
  }
}

function inBand(uid: UID, update: Omit<StateUpdateMessage, 'md'>): Message {
  const msgID = new Uint8Array(randomBytes(16)) as MsgID;
  const md = { uid, msgID, ctime: 0, deviceID: null, inBandMsgType: IN_BAND_MSG_TYPE.update };
  return { ibm: { stateUpdate: { md, ...update } } };
}

/** Create an item; prints its msgID in hex. Expiry and reminder are offsets from its ctime. */
export function addItem(
  flags: SessionFlags & {
    category: string;
    body: string;
    expireInMs?: number;
    remindInMs?: number;
  },
  print: Print,
): Promise<void> {
  return withLogin(flags, async (client, uid) => {
    const m = inBand(uid, {
      creation: {
        category: flags.category,
        body: new TextEncoder().encode(flags.body),
        dtime: { time: 0, offset: flags.expireInMs ?? 0 },
        remindTimes: flags.remindInMs === undefined ? [] : [{ time: 0, offset: flags.remindInMs }],
      },
    });
    await client.call('consumeMessage', { m });
    print(Buffer.from(m.ibm!.stateUpdate!.md.msgID).toString('hex'));
  });
}

/** Dismiss items by msgID. */
export function dismissItems(flags: SessionFlags & { ids: Uint8Array[] }): Promise<void> {
  return withLogin(flags, async (client, uid) => {
    const m = inBand(uid, { dismissal: { msgIDs: flags.ids as MsgID[], ranges: [] } });
    await client.call('consumeMessage', { m });
  });
}

/**
 * Print every message gregord broadcasts to this connection, one JSON document per message,
 * until the connection closes or `stop` is aborted (Ctrl-C). `notify` is told once it is logged in.
 */
export function watch(
  flags: SessionFlags,
  print: Print,
  stop: AbortSignal,
  notify: Print,
): Promise<void> {
  const handlers = new HandlerRegistry();
  const spec = METHODS.broadcastMessage;
  handlers.register(spec.name, (raw) => {
    print(toJson(spec.decodeArg(raw).m));
    return null;
  });
  return withLogin(
    flags,
    async (client, uid) => {
      notify(`watching ${Buffer.from(uid).toString('hex')} (Ctrl-C to stop)`);
      const stopped = new Promise<void>((resolve) => {
        if (stop.aborted) resolve();
        stop.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([client.closed(), stopped]);
    },
    handlers,
  );
}

/**
 * Pull due reminders as an internal service does (superuser; gregor-protocol.md §6.7): prints the
 * ReminderSet as JSON. With `remove`, deletes the printed reminders afterwards; otherwise they
 * stay locked for the server's lock duration and come back after it (at-least-once delivery).
 */
export function pullReminders(
  flags: SessionFlags & { max: number; remove: boolean },
  print: Print,
): Promise<void> {
  return withLogin(flags, async (client) => {
    const set = await client.call('getReminders', { maxReminders: flags.max });
    print(toJson(set));
    if (flags.remove && set.reminders.length > 0) {
      const reminderIDs = set.reminders.map((r) => ({
        uid: r.item.md!.uid,
        msgID: r.item.md!.msgID,
        seqno: r.seqno,
      }));
      await client.call('deleteReminders', { reminderIDs });
    }
  });
}
