/**
 * `gregor add`, `gregor dismiss` and `gregor reminders`: write in-band messages and pull due
 * reminders from a terminal, so the flow socket → database → every device can be seen by hand
 * (`gregor watch`, in gregor-watch.ts, follows it).
 * Messages are built as Keybase clients build them (InjectItem, DismissItem).
 */
import { randomBytes } from 'node:crypto';
import {
  IN_BAND_MSG_TYPE,
  type Message,
  type MsgID,
  type StateUpdateMessage,
  type UID,
} from 'gregor-client/protocol';
import { GregorAdminClient, toJson } from './gregor-client.js';
import type { SessionFlags } from './gregor-options.js';

type Print = (text: string) => void;

/** Connect, log in, and run `fn` with the session's uid (or --uid, for the superuser). */
export async function withLogin<T>(
  flags: SessionFlags,
  fn: (client: GregorAdminClient, uid: UID) => Promise<T>,
): Promise<T> {
  const client = await GregorAdminClient.connect(flags.target);
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

/**
 * Create an item; prints its msgID in hex. Expiry and reminder are sent as absolute times (now,
 * by this machine's clock, plus the duration): a state exports an item's absolute expiry but
 * not an offset one (gregor.1 MakeItem), so `gregor state` can show when it expires.
 */
export function addItem(
  flags: SessionFlags & {
    category: string;
    body: string;
    expireInMs?: number;
    remindInMs?: number;
  },
  print: Print,
): Promise<void> {
  const now = Date.now();
  return withLogin(flags, async (client, uid) => {
    const m = inBand(uid, {
      creation: {
        category: flags.category,
        body: new TextEncoder().encode(flags.body),
        dtime: { time: flags.expireInMs === undefined ? 0 : now + flags.expireInMs, offset: 0 },
        remindTimes:
          flags.remindInMs === undefined ? [] : [{ time: now + flags.remindInMs, offset: 0 }],
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
 * Pull due reminders as an internal service does (superuser; docs/data-model.md, "Reminders"):
 * prints the ReminderSet as JSON. With `remove`, deletes the printed reminders afterwards;
 * otherwise they stay locked for the server's lock duration and come back after it (at-least-once
 * delivery).
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
