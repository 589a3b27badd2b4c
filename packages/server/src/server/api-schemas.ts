/**
 * The shapes of the HTTP API (server-api.md), as zod schemas: the routes validate requests and
 * answers with them, and the OpenAPI document is generated from them, so there is one copy of each
 * shape. IDs are lowercase hex, times are ms since the epoch, durations are ms.
 */
import { z } from 'zod';

/** A UID, item ID or device ID: 32 lowercase hex digits. */
export const HexId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex digits')
  .meta({
    description: '16 bytes as 32 lowercase hex digits',
    example: '0123456789abcdef0123456789abcdef',
  });

/** A point in time, ms since the Unix epoch. */
export const EpochMs = z
  .number()
  .int()
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: 'ms since the Unix epoch' });

/** A time given in a query string. */
const EpochMsText = z.coerce
  .number()
  .int()
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: 'ms since the Unix epoch' });

/** A body: UTF-8 text in `body`, or any bytes in `bodyBase64`; exactly one. */
const bodyFields = {
  body: z.string().optional().meta({ description: 'the body as UTF-8 text' }),
  bodyBase64: z.base64().optional().meta({ description: 'the body as base64 bytes' }),
};

function exactlyOneBody(value: { body?: string | undefined; bodyBase64?: string | undefined }) {
  return (value.body === undefined) !== (value.bodyBase64 === undefined);
}
const ONE_BODY = { message: 'give exactly one of body and bodyBase64', path: ['body'] };

const newItemFields = {
  category: z.string().min(1),
  ...bodyFields,
  id: HexId.optional().meta({
    description: 'the item ID; left out, a new random one. Repeating an ID is idempotent.',
  }),
  device: HexId.optional().meta({ description: 'the only device that sees the item' }),
  expireAt: EpochMs.optional(),
  expireIn: z.number().int().positive().optional().meta({ description: 'ms after it is stored' }),
  remindAt: z.array(EpochMs).optional(),
};

/** `POST /users/{uid}/items`. */
export const NewItemBody = z.strictObject(newItemFields).refine(exactlyOneBody, ONE_BODY);

/** Most users one `POST /items` may address. */
export const MAX_UIDS_PER_REQUEST = 10_000;

/** `POST /items`: the same item for each of `uids`. */
export const NewItemsBody = z
  .strictObject({ uids: z.array(HexId).min(1).max(MAX_UIDS_PER_REQUEST), ...newItemFields })
  .refine(exactlyOneBody, ONE_BODY);

/** One range of a dismissal: items of `category` created up to `before`, but `except`. */
const DismissRangeJson = z.strictObject({
  category: z.string().min(1),
  before: EpochMs.optional().meta({ description: 'left out: up to the dismissal itself' }),
  except: z.array(HexId).optional(),
});

/** `POST /users/{uid}/dismissals`. */
export const DismissalsBody = z
  .strictObject({ ids: z.array(HexId).optional(), ranges: z.array(DismissRangeJson).optional() })
  .refine((v) => (v.ids?.length ?? 0) + (v.ranges?.length ?? 0) > 0, {
    message: 'give at least one ID or range',
    path: ['ids'],
  });

/** `POST /users/{uid}/oob`. */
export const OutOfBandBody = z
  .strictObject({ system: z.string().min(1), ...bodyFields })
  .refine(exactlyOneBody, ONE_BODY);

/** `POST /reminders/claim`. */
export const ClaimBody = z
  .strictObject({
    max: z.number().int().min(1).max(10_000).optional().meta({ description: '@default 100' }),
  })
  .optional();

/** One reminder, as `POST /reminders/ack` names it. */
const ReminderKeyJson = z.strictObject({
  uid: HexId,
  id: HexId,
  seqno: z.number().int().min(0),
});

/** `POST /reminders/ack`. */
export const AckBody = z.strictObject({ reminders: z.array(ReminderKeyJson).min(1).max(10_000) });

export const UidParams = z.strictObject({ uid: HexId });
export const ItemParams = z.strictObject({ uid: HexId, id: HexId });

export const ItemsQuery = z.strictObject({
  category: z.string().min(1).optional().meta({ description: 'only this category' }),
  prefix: z.string().min(1).optional().meta({ description: 'only categories with this prefix' }),
  device: HexId.optional().meta({ description: 'the state as this device sees it' }),
  at: EpochMsText.optional().meta({ description: 'the state as of this time; left out, now' }),
});

export const SyncQuery = z.strictObject({
  since: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({
    description: 'ms since the epoch; the messages stored after it',
  }),
  device: HexId.optional(),
});

export const PresenceQuery = z.strictObject({
  uid: z
    .union([HexId, z.array(HexId).max(MAX_UIDS_PER_REQUEST)])
    .meta({ description: 'a user; repeat the parameter for more' }),
});

/** An ID in an answer: lowercase hex (16 bytes when this API created it). */
const HexText = z.string().meta({ description: 'lowercase hex' });
/** A time in an answer, ms since the epoch. */
const MsOut = z.number().int().meta({ description: 'ms since the Unix epoch' });

/** An item as the API shows it (the client SDK's item, with hex IDs and times in ms). */
export const ItemJson = z.object({
  id: HexText,
  category: z.string(),
  body: z.string().optional().meta({ description: 'when the body is UTF-8 text' }),
  bodyBase64: z.string().optional().meta({ description: 'when the body is not UTF-8 text' }),
  ctime: MsOut,
  expireAt: MsOut.optional(),
  remindAt: z.array(MsOut),
  device: HexText.optional(),
});

/** A stored in-band message, as `sync` lists it. */
export const MessageJson = z.object({
  id: HexText,
  ctime: z.number().int(),
  kind: z.enum(['update', 'sync']),
  device: HexText.optional(),
  creation: ItemJson.omit({ id: true, ctime: true, device: true }).optional(),
  dismissal: z
    .object({
      ids: z.array(HexText),
      ranges: z.array(
        z.object({ category: z.string(), before: z.number().int(), except: z.array(HexText) }),
      ),
    })
    .optional(),
});

export const CreatedJson = z.object({ id: HexText, ctime: MsOut });
export const CreatedManyJson = z.object({
  items: z.array(z.object({ uid: HexText, id: HexText, ctime: MsOut })),
});
export const ItemsJson = z.object({
  items: z.array(ItemJson),
  hash: z.string().meta({ description: "the state hash, hex: the same as sync's" }),
});
export const SyncJson = z.object({ messages: z.array(MessageJson), hash: z.string() });
export const RelayedJson = z.object({ relayed: z.literal(true) });
export const PresenceJson = z.object({
  users: z.array(
    z.object({
      uid: HexText,
      devices: z.array(
        z.object({
          device: HexText.optional(),
          type: z.string(),
          platform: z.string(),
          userAgent: z.string(),
        }),
      ),
    }),
  ),
});
export const RemindersJson = z.object({
  reminders: z.array(
    z.object({
      uid: HexText,
      id: HexText,
      seqno: z.number().int(),
      remindAt: MsOut,
      item: ItemJson,
    }),
  ),
  more: z.boolean().meta({ description: 'more reminders are due now' }),
});
export const AckedJson = z.object({ deleted: z.number().int() });

/** The body of every error answer. */
export const ErrorJson = z.object({
  error: z.object({
    code: z.string().meta({ description: 'a stable GREGOR_ERR_… code (docs/errors.md)' }),
    message: z.string(),
  }),
});
