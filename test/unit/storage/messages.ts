/**
 * Message builders for the storage tests, in the short notation the tests share: C (creation),
 * X (dismissal by IDs), R (dismissal by ranges), S (stateSync).
 */
import type {
  DeviceID,
  Message,
  MsgID,
  TimeOrOffset,
  UID,
} from '../../../packages/client/src/protocol/index.js';

/** Epoch ms with a non-zero ms part, as the conformance suite uses. */
export const T0 = 1_700_000_000_123;

/** 16 bytes all equal to `n`. */
export const filled = (n: number, length = 16): Uint8Array => new Uint8Array(length).fill(n);
/** User n. */
export const U = (n: number): UID => filled(n) as UID;
/** MsgID n (n < 256), or a distinct id per integer for larger n. */
export const M = (n: number): MsgID => {
  if (n < 256) return filled(n) as MsgID;
  const id = filled(0xa0);
  new DataView(id.buffer).setUint32(12, n);
  return id as MsgID;
};

export interface MdOptions {
  uid?: UID;
  ctime?: number;
  dev?: DeviceID | null;
}

const md = (id: MsgID, o: MdOptions) => ({
  uid: o.uid ?? U(1),
  msgID: id,
  ctime: o.ctime ?? 0,
  deviceID: o.dev ?? null,
  inBandMsgType: 1,
});
const tOO = (t: Partial<TimeOrOffset> = {}): TimeOrOffset => ({
  time: t.time ?? 0,
  offset: t.offset ?? 0,
});

/** A creation of `category` with `body`, optionally with a dtime and reminders. */
export function C(
  id: MsgID,
  category = 'a',
  body = 'x',
  o: MdOptions & { dtime?: Partial<TimeOrOffset>; remind?: Partial<TimeOrOffset>[] } = {},
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: md(id, o),
        creation: {
          category,
          body: new TextEncoder().encode(body),
          dtime: tOO(o.dtime),
          remindTimes: (o.remind ?? []).map(tOO),
        },
      },
    },
  };
}

/** A dismissal of `ids`. */
export function X(id: MsgID, ids: MsgID[], o: MdOptions = {}): Message {
  return { ibm: { stateUpdate: { md: md(id, o), dismissal: { msgIDs: ids, ranges: [] } } } };
}

/** A dismissal by ranges. */
export function R(
  id: MsgID,
  ranges: { category: string; endTime?: Partial<TimeOrOffset>; skip?: MsgID[] }[],
  o: MdOptions = {},
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: md(id, o),
        dismissal: {
          msgIDs: [],
          ranges: ranges.map((r) => ({
            category: r.category,
            endTime: tOO(r.endTime),
            skipMsgIDs: r.skip ?? [],
          })),
        },
      },
    },
  };
}

/** A stateSync. */
export function S(id: MsgID, o: MdOptions = {}): Message {
  return { ibm: { stateSync: { md: md(id, o) } } };
}

/** The msgIDs of a state's items or of in-band messages, as hex-free names: M<n> or a number. */
export function idName(id: Uint8Array): string {
  const first = id[0];
  if (id.every((b) => b === first)) return `M${first}`;
  return `M${new DataView(id.buffer, id.byteOffset).getUint32(12)}`;
}
