// Type tests of the public API, checked by `npm run typecheck` and never run. Each
// `@ts-expect-error` marks a misuse the compiler must refuse (an unused one fails the typecheck);
// each `Assert<…>` fails to compile when the method table's generics collapse to `unknown` or
// `any`, which would let a typed call accept any argument and return anything, silently.
import type { protocol } from 'gregor-client';
import type { GregorServerOptions, Listener } from 'gregor-server';
import { GregorServer, MockAuthenticator, mintToken } from 'gregor-server';
// The typed calls of the method table, as the client's internals make them.
import type { Remote } from '../../packages/client/src/client/internal.js';

type MethodKey = protocol.MethodKey;
type MethodArg<K extends MethodKey> = protocol.MethodArg<K>;
type MethodResult<K extends MethodKey> = protocol.MethodResult<K>;

/** True when T is `unknown` (and not `any`). */
type IsUnknown<T> = unknown extends T ? (0 extends 1 & T ? false : true) : false;
/** True when T is `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;
/** Compiles only when T is `true`. */
type Assert<T extends true> = T;
/** True when no method's argument or result type is `unknown` or `any`. */
type Precise<K extends MethodKey> = K extends MethodKey
  ? IsUnknown<MethodArg<K>> extends true
    ? false
    : IsUnknown<MethodResult<K>> extends true
      ? false
      : IsAny<MethodArg<K>> extends true
        ? false
        : IsAny<MethodResult<K>> extends true
          ? false
          : true
  : never;

export type EveryMethodIsTyped = Assert<Precise<MethodKey>>;
export type SyncResultIsSyncResult = Assert<
  MethodResult<'sync'> extends protocol.SyncResult ? true : false
>;
export type ConsumeTakesAMessage = Assert<
  { m: protocol.Message } extends MethodArg<'consumeMessage'> ? true : false
>;
// The helpers themselves: unknown is caught, a real type is not.
export type CatchesUnknown = Assert<IsUnknown<unknown>>;
export type PassesRealTypes = Assert<IsUnknown<protocol.UID> extends false ? true : false>;
// The client's components stay out of its public surface (they are in client/internal.ts).
// @ts-expect-error the outbox is not public
export type OutboxIsInternal = import('gregor-client').Outbox;

declare const remote: Remote;
declare const uid: protocol.UID;
declare const options: GregorServerOptions;

export async function typedCalls(): Promise<void> {
  const synced = await remote.call('sync', { uid, deviceid: null, ctime: 0 });
  synced.msgs satisfies readonly protocol.InBandMessage[];

  // @ts-expect-error a hex string is not a branded UID
  await remote.call('sync', { uid: 'f00d', deviceid: null, ctime: 0 });
  // @ts-expect-error a plain byte array is not a branded UID either
  await remote.call('sync', { uid: new Uint8Array(16), deviceid: null, ctime: 0 });
  // @ts-expect-error sync's argument needs its ctime
  await remote.call('sync', { uid, deviceid: null });
  // @ts-expect-error no such method in the table
  await remote.call('syncAll', {});
  // @ts-expect-error consumeMessage takes the message under `m`, not bare
  await remote.call('consumeMessage', {} as protocol.Message);
  // @ts-expect-error ping takes no uid
  await remote.call('ping', { uid });
  const pong = await remote.call('ping', {});
  // @ts-expect-error ping's result is not a SyncResult
  pong satisfies protocol.SyncResult;
}

export function serverOptions(): void {
  new GregorServer(options);
  new GregorServer({ ...options, maxItemsPerUser: 10 });
  // @ts-expect-error a count is a number, not text
  new GregorServer({ ...options, maxItemsPerUser: '10' });
  // @ts-expect-error the state machine is required
  new GregorServer({ bus: options.bus, authenticator: options.authenticator, listen: {} });
  // @ts-expect-error the TCP port is a number
  new GregorServer({ ...options, listen: { tcp: { host: '127.0.0.1', port: '9911' } } });
  // @ts-expect-error an authenticator is an object with authenticate(), not a token
  new GregorServer({ ...options, authenticator: 'secret' });
  // @ts-expect-error unknown options are refused, not ignored
  new GregorServer({ ...options, maxItemPerUser: 10 });
  new GregorServer({ ...options, listeners: [] as Listener[] });
  // @ts-expect-error a listener is a Listener (name, start, close), not an address
  new GregorServer({ ...options, listeners: [{ host: '127.0.0.1', port: 0 }] });
}

export function tokens(): void {
  new MockAuthenticator();
  // @ts-expect-error mintToken needs the secret and the claims
  mintToken('secret');
}
