/**
 * The two servers of the server benchmark and its clients.
 *
 * - gregord: a GregorServer with SQLite (a durable temp file), the in-process bus and signed
 *   tokens, the standalone default.
 * - the baseline: a bare framed-msgpack server built from src/rpc only — no validation, auth,
 *   storage, mailbox or bus — that takes `consumeMessage`, encodes the broadcast args once and
 *   forwards them to the same user's connections. The distance between the two is what gregord's
 *   guarantees cost.
 *
 * Clients are RpcSessions over loopback TCP sharing one handler registry. Each user has two
 * connections: `a` sends, and both `a` and `b` receive; the latency sample is taken on `b`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeCanonical,
  METHODS,
  type Message,
  type MsgID,
  toHex,
  type UID,
} from '../packages/client/src/protocol/index.js';
import {
  connectTcp,
  HandlerRegistry,
  listenTcp,
  type RpcSession,
} from '../packages/client/src/rpc/index.js';
import { encodeFrame } from '../packages/client/src/rpc/internal.js';
import { mintToken, SignedTokenAuthenticator } from '../packages/server/src/auth/index.js';
import { InProcessBus } from '../packages/server/src/pubsub/index.js';
import { GregorServer } from '../packages/server/src/server/index.js';
import { openSqlEngine } from '../packages/server/src/storage/index.js';

export const SECRET = 'server-bench-secret-0123456789abcdef';
const BODY = new Uint8Array(100).fill(0x61);

/** A server under test. */
export interface BenchTarget {
  readonly name: string;
  readonly port: number;
  /** The login token of `uid`. */
  token(uid: UID): string;
  close(): Promise<void>;
}

/** gregord with durable SQLite storage in a temp directory. */
export async function startGregord(): Promise<BenchTarget & { server: GregorServer }> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-bench-'));
  const stateMachine = await openSqlEngine(`sqlite:${join(dir, 'gregor.db')}`);
  const server = new GregorServer({
    stateMachine,
    bus: new InProcessBus(),
    authenticator: new SignedTokenAuthenticator({ secret: SECRET }),
    listen: { tcp: { host: '127.0.0.1', port: 0 } },
    owns: { stateMachine: true, bus: true, authenticator: true },
  });
  const { tcp } = await server.listen();
  return {
    name: 'gregord',
    port: tcp!.port,
    server,
    token: (uid) => mintToken({ uid }, SECRET),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bare framed-msgpack forwarder. */
export async function startBaseline(): Promise<BenchTarget> {
  const handlers = forwarderHandlers();
  const listener = await listenTcp({ port: 0, session: { handlers } }, () => undefined);
  return {
    name: 'baseline',
    port: listener.address.port,
    token: (uid) => toHex(uid),
    close: () => listener.close(),
  };
}

/** The forwarder's handlers: a login registers the session under its token (the uid in hex). */
export function forwarderHandlers(): HandlerRegistry {
  const byUser = new Map<string, Set<RpcSession>>();
  const handlers = new HandlerRegistry();
  handlers.register(METHODS.authenticateSessionToken.name, (arg, ctx) => {
    const key = String((arg as { session: string }).session);
    const set = byUser.get(key) ?? new Set<RpcSession>();
    byUser.set(key, set);
    set.add(ctx.session);
    ctx.session.once('close', () => set.delete(ctx.session));
    return { uid: null, username: '', sid: '', isAdmin: false };
  });
  const broadcast = METHODS.broadcastMessage.name;
  handlers.register(METHODS.consumeMessage.name, (arg) => {
    const m = (
      arg as { m: Record<string, Record<string, Record<string, Record<string, unknown>>>> }
    ).m;
    const uid = (m.ibm?.stateUpdate?.md?.uid ??
      (m.oobm as Record<string, unknown>).uid) as Uint8Array;
    const bytes = encodeCanonical([arg]);
    for (const session of byUser.get(toHex(uid)) ?? []) {
      session.callPreEncoded(broadcast, bytes, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    return null;
  });
  return handlers;
}

/** A bench user's uid. */
export function benchUID(n: number): UID {
  const uid = new Uint8Array(16);
  uid[0] = 0xbe;
  new DataView(uid.buffer).setUint32(12, n);
  return uid as UID;
}

const RUN = randomBytes(4);
let nextUser = 0;

/** A uid no earlier call of this run returned: a phase that takes new ones starts from empty users. */
export function freshUID(): UID {
  const uid = new Uint8Array(16);
  uid.set(RUN, 0);
  new DataView(uid.buffer).setUint32(12, nextUser++);
  return uid as UID;
}

/** The framed login call of bench user `n` with a signed token (raw clients send it as is). */
export function loginFrame(n: number): Uint8Array {
  const spec = METHODS.authenticateSessionToken;
  const token = mintToken({ uid: benchUID(n) }, SECRET);
  return encodeFrame(encodeCanonical([0, 1, spec.name, [spec.encodeArg({ session: token })]]));
}

/** An in-band creation carrying `seq` in its msgID. */
export function inBand(uid: UID, seq: number): Message {
  const msgID = new Uint8Array(16);
  msgID[0] = 0x1b;
  new DataView(msgID.buffer).setUint32(12, seq);
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: msgID as MsgID, ctime: 0, deviceID: null, inBandMsgType: 1 },
        creation: { category: 'bench', dtime: { time: 0, offset: 0 }, remindTimes: [], body: BODY },
      },
    },
  };
}

/** An out-of-band message carrying `seq` in its body. */
export function outOfBand(uid: UID, seq: number): Message {
  const body = new Uint8Array(100);
  new DataView(body.buffer).setUint32(0, seq);
  return { oobm: { uid, system: 'bench', body } };
}

/** The seq of a received broadcast argument, as the session decoded it (bytes are views). */
function seqOf(arg: unknown): number {
  const m = (
    arg as {
      m: { ibm?: { stateUpdate: { md: { msgID: Uint8Array } } }; oobm?: { body: Uint8Array } };
    }
  ).m;
  const bytes = m.ibm?.stateUpdate.md.msgID ?? m.oobm!.body;
  const offset = m.ibm === undefined ? 0 : 12;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/**
 * What the clients observe: deliveries, and the send → `b` receipt latency per message. Its
 * `handlers` record the broadcasts of rpc sessions; other transports call `delivered`.
 */
export class Recorder {
  readonly handlers = new HandlerRegistry();
  readonly sentAtMs = new Float64Array(4_000_000);
  readonly receivers = new WeakSet<RpcSession>();
  latenciesMs: number[] = [];
  deliveries = 0;
  isSampling = false;

  constructor() {
    this.handlers.register(METHODS.broadcastMessage.name, (arg, ctx) => {
      this.delivered(seqOf(arg), this.receivers.has(ctx.session));
      return null;
    });
  }

  /** Message `seq` reached a connection; `isReceiver`: the one whose latency is sampled (`b`). */
  delivered(seq: number, isReceiver: boolean): void {
    this.deliveries++;
    if (this.isSampling && isReceiver) {
      this.latenciesMs.push(performance.now() - this.sentAtMs[seq]!);
    }
  }
}

/** One user: `a` sends and receives, `b` only receives. */
export interface BenchUser {
  readonly uid: UID;
  readonly a: RpcSession;
  readonly b: RpcSession;
}

/** Connect and log in `count` users with two connections each. */
export async function connectUsers(
  target: BenchTarget,
  recorder: Recorder,
  count: number,
): Promise<BenchUser[]> {
  const login = async (uid: UID): Promise<RpcSession> => {
    const session = await connectTcp({
      port: target.port,
      session: { handlers: recorder.handlers },
    });
    await session.call(METHODS.authenticateSessionToken.name, { session: target.token(uid) });
    return session;
  };
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const uid = benchUID(i);
      const [a, b] = await Promise.all([login(uid), login(uid)]);
      recorder.receivers.add(b);
      return { uid, a, b };
    }),
  );
}

/** Close every client connection. */
export async function disconnect(users: readonly BenchUser[]): Promise<void> {
  await Promise.all(
    users
      .flatMap((u) => [u.a, u.b])
      .map((s) => {
        s.close();
        return s.closed();
      }),
  );
}
