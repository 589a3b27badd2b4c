/**
 * Shared pieces of the client tests: a connector that records every call the client makes and can
 * hold reconnects back, fixed-delay reconnect policies, and message builders with the short names
 * the tests share.
 */

import type FakeTimers from '@sinonjs/fake-timers';
import type {
  ClientStatus,
  Connector,
  GregorClient,
  Timers,
} from '../../../packages/client/src/client/index.js';
import type {
  DeviceID,
  Message,
  MsgID,
  TimeOrOffset,
  UID,
} from '../../../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../../../packages/client/src/rpc/index.js';
import type { Clock } from '../../../packages/client/src/state/index.js';

export const T0 = 1_500_000_000_000;
export const U1 = new Uint8Array(16).fill(1) as UID;
export const U2 = new Uint8Array(16).fill(2) as UID;
export const D1 = new Uint8Array(16).fill(0x0d) as DeviceID;
export const ZERO: TimeOrOffset = { time: 0, offset: 0 };

/** M(n): a 16-byte msgID of n repeated. */
export function mid(n: number): MsgID {
  return new Uint8Array(16).fill(n) as MsgID;
}

const utf8 = new TextEncoder();

/** C(M, cat, body) for `uid`, with `ctime` (0: the server stamps it). */
export function creation(uid: UID, n: number, ctime = 0, category = 'cat', body = 'b'): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: mid(n), ctime, deviceID: null, inBandMsgType: 1 },
        creation: { category, body: utf8.encode(body), dtime: ZERO, remindTimes: [] },
      },
    },
  };
}

/** X(M, ids): a dismissal by IDs for `uid`. */
export function dismissal(uid: UID, n: number, ids: number[]): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: mid(n), ctime: 0, deviceID: null, inBandMsgType: 1 },
        dismissal: { msgIDs: ids.map(mid), ranges: [] },
      },
    },
  };
}

/** An out-of-band message for `uid`. */
export function oob(uid: UID, system = 's', body = 'b'): Message {
  return { oobm: { uid, system, body: utf8.encode(body) } };
}

/** The first byte of each item's msgID, in state order (M(n) → n). */
export function idsOf(state: { items: { md?: { msgID: Uint8Array } }[] }): number[] {
  return state.items.map((i) => i.md?.msgID[0] ?? -1);
}

/** A recorded call of the client. */
export interface RecordedCall {
  method: string;
  arg: unknown;
}

/** A TCP connector that records calls, keeps its sessions, and can hold connects back. */
export interface SpyConnector extends Connector {
  readonly calls: RecordedCall[];
  readonly sessions: RpcSession[];
  /** Calls whose method name ends with `.${short}`. */
  callsOf(short: string): RecordedCall[];
  /** Hold the next connects until `release()`. */
  hold(): void;
  release(): void;
  /** Point at another port (a restarted server). */
  port: number;
}

/** A SpyConnector to 127.0.0.1:`port`. */
export function spyConnector(port: number): SpyConnector {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const spy: SpyConnector = {
    calls: [],
    sessions: [],
    port,
    callsOf: (short) => spy.calls.filter((c) => c.method.endsWith(`.${short}`)),
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      open?.();
      gate = undefined;
    },
    async connect(signal) {
      if (gate !== undefined) {
        await Promise.race([
          gate,
          new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
        ]);
        signal.throwIfAborted();
      }
      const session = await connectTcp({ host: '127.0.0.1', port: spy.port, signal });
      const call = session.call.bind(session);
      session.call = (method, arg, opts) => {
        spy.calls.push({ method, arg });
        return call(method, arg, opts);
      };
      spy.sessions.push(session);
      return session;
    },
  };
  return spy;
}

/** A reconnect policy: always retry after `delayMs`. */
export const retryEvery = (delayMs: number) => (): number => delayMs;

/** Statuses of `client` from now on (the current one is skipped). */
export async function watchStatus(client: GregorClient): Promise<{
  /** The next status of type `type`; rejects if the client closes first or after `timeoutMs`. */
  until(type: ClientStatus['type'], timeoutMs?: number): Promise<ClientStatus>;
  stop(): void;
}> {
  const it = client.status();
  await it.next();
  return {
    async until(type, timeoutMs = 5000) {
      const timer = setTimeout(() => void it.return?.(), timeoutMs);
      try {
        for (;;) {
          const r = await it.next();
          if (r.done)
            throw new Error(`no '${type}' status within ${timeoutMs} ms or before the end`);
          if (r.value.type === type) return r.value;
        }
      } finally {
        clearTimeout(timer);
      }
    },
    stop: () => void it.return?.(),
  };
}

/** A fake-timers clock as the client's Timers and Clock. */
export function fakeTime(fake: FakeTimers.Clock): { timers: Timers; clock: Clock } {
  return {
    timers: {
      setTimeout: (callback, delayMs) => fake.setTimeout(callback, delayMs),
      clearTimeout: (handle) => fake.clearTimeout(handle as FakeTimers.TimerId),
    },
    clock: { now: () => fake.now },
  };
}
