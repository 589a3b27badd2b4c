/**
 * The gregord dispatcher: one handler registry, shared by every connection (no handler table per
 * connection: a server holds tens of thousands of them), derived from the `METHODS` table (no
 * method name appears here). For each served method it decodes the argument, runs the auth gate the
 * table names (docs/protocol.md, "Login and authorization"), runs the implementation and encodes
 * its result.
 *
 * Gates: `none` and `login` pass; `uid` requires the session to be the argument's uid or the
 * superuser; `superuser` requires the superuser; `message` is checked by the consume handler
 * itself, after validation. `peer` methods are not served to clients.
 */
import { type GregorError, gregorError, isGregorError } from 'gregor-client/errors';
import {
  GREGORD_METHODS,
  type GregordMethodKey,
  METHODS,
  type MethodAuth,
  type MethodSpec,
  SUPER_UID,
  type UID,
} from 'gregor-client/protocol';
import { type Admission, type HandlerContext, HandlerRegistry } from 'gregor-client/rpc';
import * as admin from './admin-handlers.js';
import { type Connection, connectionOf } from './connection.js';
import * as consume from './consume-handlers.js';
import type {
  DispatchServices,
  GregordMethodImpl,
  MethodImpl,
  ServedMethod,
} from './dispatch-services.js';
import * as query from './query-handlers.js';

const authenticateSessionToken: MethodImpl<'authenticateSessionToken'> = {
  run: (_services, conn, { session }, signal) => conn.login(session, signal),
};

/** The implementation of every served method, keyed like METHODS. */
const IMPLEMENTATIONS: { readonly [K in ServedMethod]: MethodImpl<K> } = {
  authenticateSessionToken,
  sync: query.sync,
  consumeMessage: consume.consumeMessage,
  consumePublishMessage: consume.consumePublishMessage,
  consumeMessageMulti: consume.consumeMessageMulti,
  ping: query.ping,
  version: query.version,
  state: query.state,
  stateByCategoryPrefix: query.stateByCategoryPrefix,
  describeConnectedUsers: admin.describeConnectedUsers,
  describeConnectedUsersInternal: admin.describeConnectedUsersInternal,
  getReminders: admin.getReminders,
  deleteReminders: admin.deleteReminders,
};

/** The implementation of every gregord-only method, keyed like GREGORD_METHODS. */
const GREGORD_IMPLEMENTATIONS: { readonly [K in GregordMethodKey]: GregordMethodImpl<K> } = {
  revokeSessions: admin.revokeSessions,
};

interface AnyImpl {
  run(s: DispatchServices, conn: Connection, arg: unknown, signal: AbortSignal): unknown;
  readonly closeOnDenied?: boolean;
}

function targetUID(arg: unknown): UID {
  const uid = (arg as { uid?: unknown }).uid;
  if (!(uid instanceof Uint8Array))
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'arg.uid missing');
  return uid as UID;
}

async function gate(
  conn: Connection,
  auth: MethodAuth,
  arg: unknown,
  signal: AbortSignal,
): Promise<void> {
  if (auth === 'uid') await conn.authorize(targetUID(arg), signal);
  else if (auth === 'superuser') await conn.authorize(SUPER_UID, signal);
}

/** Methods a connection may call before it has logged in. */
const OPEN_GATES: ReadonlySet<MethodAuth> = new Set(['none', 'login']);

/**
 * The auth gate's first step, run before the arguments are decoded: a connection that has not
 * logged in may call only the open methods, so a stranger's arguments to any other method cost
 * nothing but the frame (limited to maxLoginFrameBytes). Same answer as checkUIDAuth before login
 * (BAD_SESSION); a method that closes on a refusal closes here too.
 */
function admissionOf(spec: MethodSpec<unknown, unknown>, impl: AnyImpl): Admission | undefined {
  if (OPEN_GATES.has(spec.auth)) return undefined;
  return (session) => {
    const conn = connectionOf(session);
    if (conn === undefined || conn.isLoggedIn) return;
    const err = gregorError('GREGOR_ERR_AUTH_BAD_SESSION');
    if (impl.closeOnDenied) conn.closeAfterReply(err);
    throw err;
  };
}

async function serve(
  services: DispatchServices,
  spec: MethodSpec<unknown, unknown>,
  impl: AnyImpl,
  raw: unknown,
  ctx: HandlerContext,
): Promise<unknown> {
  const conn = connectionOf(ctx.session);
  if (conn === undefined) throw gregorError('GREGOR_ERR_INTERNAL', 'call on an unknown session');
  try {
    const arg = spec.decodeArg(raw);
    try {
      await gate(conn, spec.auth, arg, ctx.signal);
    } catch (err) {
      if (impl.closeOnDenied) conn.closeAfterReply(asGregor(err));
      throw err;
    }
    const result = await impl.run(services, conn, arg, ctx.signal);
    return spec.encodeResult(result);
  } catch (err) {
    conn.logFailure(spec.name, err);
    throw err;
  }
}

function asGregor(err: unknown): GregorError {
  return isGregorError(err) ? err : gregorError('GREGOR_ERR_INTERNAL', undefined, { cause: err });
}

/** Register every client-callable method of `table` with its implementation in `impls`. */
function registerTable(
  registry: HandlerRegistry,
  services: DispatchServices,
  table: Readonly<Record<string, MethodSpec<unknown, unknown>>>,
  impls: Readonly<Record<string, AnyImpl | undefined>>,
): void {
  for (const [key, spec] of Object.entries(table)) {
    if (spec.auth === 'peer') continue;
    const impl = impls[key];
    if (impl === undefined) {
      throw gregorError('GREGOR_ERR_INTERNAL', `no implementation for ${spec.name}`);
    }
    registry.register(
      spec.name,
      (raw, ctx) => services.calls.track(serve(services, spec, impl, raw, ctx)),
      admissionOf(spec, impl),
    );
  }
}

/**
 * Build the registry serving every client-callable method of METHODS and GREGORD_METHODS with
 * `services`. Throws at startup if a method of either table has no implementation.
 */
export function createDispatcher(services: DispatchServices): HandlerRegistry {
  const registry = new HandlerRegistry();
  type Table = Readonly<Record<string, MethodSpec<unknown, unknown>>>;
  type Impls = Readonly<Record<string, AnyImpl | undefined>>;
  registerTable(registry, services, METHODS as unknown as Table, IMPLEMENTATIONS as Impls);
  registerTable(
    registry,
    services,
    GREGORD_METHODS as unknown as Table,
    GREGORD_IMPLEMENTATIONS as Impls,
  );
  return registry;
}
