/**
 * Records as the HTTP API shows them (api-schemas.ts): hex IDs, times in ms, a body as UTF-8 text
 * when it is text and as base64 otherwise. Items go through the client SDK's `itemView`, so an
 * item reads the same over HTTP as in an application.
 */
import { itemView } from 'gregor-client';
import {
  type ConnectedUser,
  type InBandMessage,
  type ItemAndMetadata,
  type Reminder,
  toHex,
} from 'gregor-client/protocol';
import { reminderSlots, resolveTimeOrOffset } from 'gregor-client/state/internal';
import type { z } from 'zod';
import type { ItemJson, MessageJson, PresenceJson, RemindersJson } from './api-schemas.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `{ body }` when `bytes` are UTF-8 text, else `{ bodyBase64 }`. */
export function bodyJson(bytes: Uint8Array): { body: string } | { bodyBase64: string } {
  try {
    return { body: strictUtf8.decode(bytes) };
  } catch {
    return { bodyBase64: Buffer.from(bytes).toString('base64') };
  }
}

/** The bytes of a request's `body` (UTF-8) or `bodyBase64`; the schema let exactly one through. */
export function bodyBytes(fields: { body?: string | undefined; bodyBase64?: string | undefined }) {
  return fields.bodyBase64 === undefined
    ? new TextEncoder().encode(fields.body ?? '')
    : new Uint8Array(Buffer.from(fields.bodyBase64, 'base64'));
}

/** A state entry as the API shows it, or undefined for an entry without an item. */
export function itemJson(entry: ItemAndMetadata): z.infer<typeof ItemJson> | undefined {
  const view = itemView(entry);
  if (view === undefined) return undefined;
  return {
    id: view.id,
    category: view.category,
    ...bodyJson(view.body),
    ctime: view.ctime.getTime(),
    ...(view.expireAt === undefined ? {} : { expireAt: view.expireAt.getTime() }),
    remindAt: view.remindAt.map((t) => t.getTime()),
    ...(view.deviceId === undefined ? {} : { device: view.deviceId }),
  };
}

/** A logged in-band message as `sync` lists it; times given as offsets are resolved. */
export function messageJson(ibm: InBandMessage): z.infer<typeof MessageJson> {
  const update = ibm.stateUpdate;
  const md = update?.md ?? ibm.stateSync!.md;
  const out: z.infer<typeof MessageJson> = {
    id: toHex(md.msgID),
    ctime: md.ctime,
    kind: update === undefined ? 'sync' : 'update',
    ...(md.deviceID === null ? {} : { device: toHex(md.deviceID) }),
  };
  const creation = update?.creation;
  if (creation !== undefined) {
    const expireAt = resolveTimeOrOffset(creation.dtime, md.ctime);
    out.creation = {
      category: creation.category,
      ...bodyJson(creation.body ?? new Uint8Array(0)),
      ...(expireAt === null ? {} : { expireAt }),
      remindAt: reminderSlots(md.ctime, creation.remindTimes)
        .map((slot) => slot.rtime)
        .sort((a, b) => a - b),
    };
  }
  const dismissal = update?.dismissal;
  if (dismissal !== undefined) {
    out.dismissal = {
      ids: dismissal.msgIDs.map(toHex),
      ranges: dismissal.ranges.map((r) => ({
        category: r.category,
        // An unset end time is the dismissal's own time (docs/data-model.md, "Time").
        before: resolveTimeOrOffset(r.endTime, md.ctime) ?? md.ctime,
        except: r.skipMsgIDs.map(toHex),
      })),
    };
  }
  return out;
}

/** Connected users as `GET /presence` shows them. */
export function presenceJson(users: readonly ConnectedUser[]): z.infer<typeof PresenceJson> {
  return {
    users: users.map((user) => ({
      uid: toHex(user.uid),
      devices: user.devices.map((d) => ({
        ...(d.deviceID === null ? {} : { device: toHex(d.deviceID) }),
        type: d.deviceType,
        platform: d.devicePlatform,
        userAgent: d.userAgent,
      })),
    })),
  };
}

/** Claimed reminders as `POST /reminders/claim` answers them. */
export function remindersJson(
  reminders: readonly Reminder[],
  more: boolean,
): z.infer<typeof RemindersJson> {
  const out: z.infer<typeof RemindersJson>['reminders'] = [];
  for (const r of reminders) {
    const item = itemJson(r.item);
    const md = r.item.md;
    if (item === undefined || md === undefined) continue;
    out.push({
      uid: toHex(md.uid),
      id: toHex(md.msgID),
      seqno: r.seqno,
      remindAt: r.remindTime,
      item,
    });
  }
  return { reminders: out, more };
}
