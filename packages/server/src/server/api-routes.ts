/**
 * The HTTP API for backends (server-api.md): `/api/v1/…`, JSON in and out, a Bearer API key.
 * Each route turns its JSON into the gregor.1 message or call a device would make and hands it to
 * BackendOperations, so an item created here is stored, published and broadcast exactly like one
 * a device created. The shapes are the zod schemas of api-schemas.ts, which validate the requests
 * and answers and make the OpenAPI document.
 *
 * Before a body is read, the key is checked (no key configured: 404 on every path; a missing or
 * wrong key: 401) and counted against its bound of requests in flight (429 past it).
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  creationMessage,
  dismissalMessage,
  dismissalsMessage,
  type NewItem,
  outOfBandMessage,
} from 'gregor-client';
import { gregorError } from 'gregor-client/errors';
import {
  type Message,
  parseDeviceId,
  parseMsgId,
  parseUid,
  stateHash,
  toHex,
} from 'gregor-client/protocol';
import type { z } from 'zod';
import { bodyBytes, itemJson, messageJson, presenceJson, remindersJson } from './api-json.js';
import type { ApiKey, ApiKeys } from './api-keys.js';
import {
  AckBody,
  AckedJson,
  ClaimBody,
  CreatedJson,
  CreatedManyJson,
  DismissalsBody,
  ErrorJson,
  ItemParams,
  ItemsJson,
  ItemsQuery,
  NewItemBody,
  NewItemsBody,
  OutOfBandBody,
  PresenceJson,
  PresenceQuery,
  RelayedJson,
  RemindersJson,
  SyncJson,
  SyncQuery,
  UidParams,
} from './api-schemas.js';
import type { BackendOperations } from './backend-operations.js';
import type { ServerMetrics } from './metrics.js';

/** Where the API lives. */
export const API_BASE = '/api/v1';
/** The path of the OpenAPI document (served without a key while the API is on). */
export const OPENAPI_PATH = `${API_BASE}/openapi.json`;
/** Reminders one claim takes when it names no `max`. */
export const DEFAULT_CLAIM_MAX = 100;

/** What the routes work with. */
export interface ApiRouteOptions {
  readonly keys: ApiKeys;
  readonly backend: BackendOperations;
  readonly metrics: ServerMetrics;
  /** Requests one key may have in flight; more are answered 429. */
  readonly maxInFlightPerKey: number;
}

/** Every route's error answers, for the document (the error handler sends them). */
const ERROR_RESPONSES = { '4xx': ErrorJson, '5xx': ErrorJson };

/** Seconds a client refused for too many requests in flight should wait (`retry-after`). */
const RETRY_AFTER_SECONDS = 1;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The key of each authenticated request, and the number of requests in flight per key. */
class KeyAdmission {
  readonly #keyOf = new WeakMap<FastifyRequest, ApiKey>();
  readonly #inFlight = new Map<ApiKey, number>();
  readonly #opts: ApiRouteOptions;

  constructor(opts: ApiRouteOptions) {
    this.#opts = opts;
  }

  /** Admit `req` or throw its 404, 401 or 429; an admitted request is counted until answered. */
  admit(req: FastifyRequest, reply: FastifyReply): void {
    const { keys, maxInFlightPerKey } = this.#opts;
    if (!keys.isEnabled)
      throw gregorError('GREGOR_ERR_NOT_FOUND', 'the HTTP API is off: no API key is configured');
    if (req.routeOptions.url === OPENAPI_PATH) return;
    const presented = BEARER.exec(req.headers.authorization ?? '')?.[1];
    const key = presented === undefined ? undefined : keys.match(presented);
    if (key === undefined) {
      reply.header('www-authenticate', 'Bearer');
      throw gregorError(
        'GREGOR_ERR_AUTH_FAILED',
        presented === undefined
          ? 'missing API key: send Authorization: Bearer <key>'
          : 'wrong API key',
      );
    }
    const running = this.#inFlight.get(key) ?? 0;
    if (running >= maxInFlightPerKey) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw gregorError(
        'GREGOR_ERR_OVERLOADED',
        `${running} requests of this API key are already in flight (most ${maxInFlightPerKey}); retry later`,
      );
    }
    this.#inFlight.set(key, running + 1);
    this.#keyOf.set(req, key);
    // 'close' comes once, whether the answer was sent or the client went away.
    reply.raw.once('close', () => {
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
    });
  }

  /** The key `req` was admitted with: the caller its reads are counted for. */
  keyOf(req: FastifyRequest): ApiKey {
    const key = this.#keyOf.get(req);
    if (key === undefined) throw gregorError('GREGOR_ERR_INTERNAL', 'request without an API key');
    return key;
  }
}

/** Aborted when the client goes away before its answer is sent: a read stops early. */
function signalOf(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** The ctime storage stamped on `m`. */
function ctimeOf(m: Message): number {
  return m.ibm?.stateUpdate?.md.ctime ?? 0;
}

/** The msgID of a state update. */
function msgIdOf(m: Message): string {
  return toHex(m.ibm!.stateUpdate!.md.msgID);
}

/** A NewItem of the client SDK from the fields of a request. */
function newItemOf(body: z.infer<typeof NewItemBody>): NewItem {
  const item: NewItem = { category: body.category, body: bodyBytes(body) };
  if (body.id !== undefined) item.id = body.id;
  if (body.device !== undefined) item.device = body.device;
  if (body.expireAt !== undefined) item.expireAt = body.expireAt;
  if (body.expireIn !== undefined) item.expireIn = body.expireIn;
  if (body.remindAt !== undefined) item.remindAt = body.remindAt;
  return item;
}

/** Register the API's routes on `app` (see the file header). */
export function registerApiRoutes(app: FastifyInstance, opts: ApiRouteOptions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { backend, metrics } = opts;
  const admission = new KeyAdmission(opts);
  /** Consume the state update `m`; answer its ID and stored ctime. */
  const stored = async (m: Message) => {
    const { message } = await backend.consume(m);
    return { id: msgIdOf(m), ctime: ctimeOf(message) };
  };

  api.register(
    async (scope) => {
      scope.addHook('onRequest', async (req, reply) => admission.admit(req, reply));
      scope.addHook('onResponse', async (req, reply) => {
        const route = `${req.method} ${req.routeOptions.url ?? 'unmatched'}`;
        metrics.apiRequests.inc({ route, status: String(reply.statusCode) });
        metrics.apiSeconds.observe({ route }, reply.elapsedTime / 1000);
      });
      const routes = scope.withTypeProvider<ZodTypeProvider>();

      routes.post(
        '/users/:uid/items',
        {
          schema: {
            summary: 'Create an item for a user',
            description:
              'Stored, then sent to every connected device of the user. 201 when new; 200 with the first ctime when `id` was already used (idempotent).',
            params: UidParams,
            body: NewItemBody,
            response: { 200: CreatedJson, 201: CreatedJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const m = creationMessage(parseUid(req.params.uid), newItemOf(req.body));
          const { message, isDuplicate } = await backend.consume(m);
          reply.code(isDuplicate ? 200 : 201);
          return { id: msgIdOf(m), ctime: ctimeOf(message) };
        },
      );

      routes.post(
        '/items',
        {
          schema: {
            summary: 'Create the same item for several users',
            description: 'One item per user, all with the same ID (consumeMessageMulti).',
            body: NewItemsBody,
            response: { 201: CreatedManyJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const uids = req.body.uids.map(parseUid);
          const m = creationMessage(uids[0]!, newItemOf(req.body));
          const stored = await backend.consumeForEach(uids, m);
          reply.code(201);
          const id = msgIdOf(m);
          return {
            items: stored.map((s, i) => ({
              uid: req.body.uids[i]!,
              id,
              ctime: ctimeOf(s.message),
            })),
          };
        },
      );

      routes.delete(
        '/users/:uid/items/:id',
        {
          schema: {
            summary: 'Dismiss one item',
            params: ItemParams,
            response: { 200: CreatedJson, ...ERROR_RESPONSES },
          },
        },
        (req) => stored(dismissalMessage(parseUid(req.params.uid), [req.params.id])),
      );

      routes.post(
        '/users/:uid/dismissals',
        {
          schema: {
            summary: 'Dismiss items by ID and by category range, in one message',
            params: UidParams,
            body: DismissalsBody,
            response: { 200: CreatedJson, ...ERROR_RESPONSES },
          },
        },
        (req) => stored(dismissalsMessage(parseUid(req.params.uid), req.body)),
      );

      routes.post(
        '/users/:uid/oob',
        {
          schema: {
            summary: "Relay an out-of-band message to the user's connected devices",
            description: 'Never stored: devices not connected now never see it.',
            params: UidParams,
            body: OutOfBandBody,
            response: { 202: RelayedJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const uid = parseUid(req.params.uid);
          await backend.consume(outOfBandMessage(uid, req.body.system, bodyBytes(req.body)));
          reply.code(202);
          return { relayed: true as const };
        },
      );

      routes.get(
        '/users/:uid/items',
        {
          schema: {
            summary: "A user's live items, and the state hash",
            params: UidParams,
            querystring: ItemsQuery,
            response: { 200: ItemsJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const { category, prefix, device, at } = req.query;
          const caller = admission.keyOf(req);
          const signal = signalOf(reply);
          const uid = parseUid(req.params.uid);
          const deviceid = device === undefined ? null : parseDeviceId(device);
          // The hash is sync's: of the whole state now, whatever the filters and `at`.
          const now = await backend.state(caller, { uid, deviceid, timeOrOffset: null }, signal);
          const shown =
            at === undefined
              ? now
              : await backend.state(
                  caller,
                  { uid, deviceid, timeOrOffset: { time: at, offset: 0 } },
                  signal,
                );
          const items = shown.items
            .filter((e) => {
              const c = e.item?.category ?? '';
              return (category === undefined || c === category) && c.startsWith(prefix ?? '');
            })
            .map(itemJson)
            .filter((item) => item !== undefined);
          return { items, hash: toHex(stateHash(now)) };
        },
      );

      routes.get(
        '/users/:uid/sync',
        {
          schema: {
            summary: 'The messages stored since a time, and the state hash',
            params: UidParams,
            querystring: SyncQuery,
            response: { 200: SyncJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const { since, device } = req.query;
          const answer = await backend.sync(
            admission.keyOf(req),
            {
              uid: parseUid(req.params.uid),
              deviceid: device === undefined ? null : parseDeviceId(device),
              ctime: since,
            },
            signalOf(reply),
          );
          return { messages: answer.msgs.map(messageJson), hash: toHex(answer.hash) };
        },
      );

      routes.get(
        '/presence',
        {
          schema: {
            summary: 'The connected devices of users, on every instance',
            querystring: PresenceQuery,
            response: { 200: PresenceJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const given = req.query.uid;
          const uids = (typeof given === 'string' ? [given] : given).map(parseUid);
          return presenceJson(await backend.presence(uids, signalOf(reply)));
        },
      );

      routes.post(
        '/reminders/claim',
        {
          schema: {
            summary: 'Claim due reminders (each locked for a while, so one claimer handles it)',
            body: ClaimBody,
            response: { 200: RemindersJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const set = await backend.claimReminders(
            req.body?.max ?? DEFAULT_CLAIM_MAX,
            signalOf(reply),
          );
          return remindersJson(set.reminders, set.moreRemindersReady);
        },
      );

      routes.post(
        '/reminders/ack',
        {
          schema: {
            summary: 'Delete handled reminders',
            body: AckBody,
            response: { 200: AckedJson, ...ERROR_RESPONSES },
          },
        },
        async (req, reply) => {
          const ids = req.body.reminders.map((r) => ({
            uid: parseUid(r.uid),
            msgID: parseMsgId(r.id),
            seqno: r.seqno,
          }));
          await backend.deleteReminders(ids, signalOf(reply));
          return { deleted: ids.length };
        },
      );

      scope.get(OPENAPI_PATH.slice(API_BASE.length), { schema: { hide: true } }, async () =>
        app.swagger(),
      );
    },
    { prefix: API_BASE },
  );
}
