/**
 * Seeded generators of hostile framed msgpack-rpc input for the fuzz test. Every input is a
 * function of the PRNG only, so a failing seed reproduces exactly.
 */

import { encodeCanonical } from '../../packages/client/src/protocol/index.js';
import { encodeFrame, encodeLengthPrefix } from '../../packages/client/src/rpc/internal.js';
import { concat, rawFrame } from '../helpers/bytes.js';

/** What the server must do with an input. */
export const EXPECT = {
  /** Complete and broken: an error response or a closed connection, nothing else. */
  refusal: 'refusal',
  /** Anything well-formed may come back (a result, an error), or nothing yet (incomplete). */
  anything: 'anything',
} as const;
export type Expect = (typeof EXPECT)[keyof typeof EXPECT];

export interface FuzzInput {
  kind: string;
  bytes: Uint8Array;
  expect: Expect;
}

type Rand = () => number;

const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

function randomBytes(rand: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(rand, 256);
  return out;
}

/** A random msgpack-encodable value of bounded size and depth. */
function randomValue(rand: Rand, depth = 0): unknown {
  const pick = int(rand, depth > 3 ? 6 : 9);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return int(rand, 2 ** 32) - 2 ** 31;
    case 3:
      return rand() * 1e6;
    case 4:
      return 'x'.repeat(int(rand, 40));
    case 5:
      return randomBytes(rand, int(rand, 40));
    case 6:
      return Array.from({ length: int(rand, 5) }, () => randomValue(rand, depth + 1));
    default: {
      const map: Record<string, unknown> = {};
      for (let i = int(rand, 5); i > 0; i--)
        map[`k${int(rand, 100)}`] = randomValue(rand, depth + 1);
      return map;
    }
  }
}

const METHODS = ['gregor.1.incoming.ping', 'gregor.1.incoming.echo', 'gregor.1.incoming.nope', 'x'];

function frame(value: unknown): Uint8Array {
  return encodeFrame(encodeCanonical(value));
}

const GENERATORS: ((rand: Rand, maxFrameBytes: number) => FuzzInput)[] = [
  (rand) => ({
    kind: 'garbage',
    bytes: randomBytes(rand, 1 + int(rand, 200)),
    expect: EXPECT.anything,
  }),
  (rand) => {
    const bytes = frame([
      0,
      int(rand, 1000),
      METHODS[int(rand, METHODS.length)],
      [randomValue(rand)],
    ]);
    for (let i = 1 + int(rand, 4); i > 0; i--) bytes[int(rand, bytes.length)] = int(rand, 256);
    return { kind: 'mutated call', bytes, expect: EXPECT.anything };
  },
  (rand) => {
    const bytes = frame([0, int(rand, 1000), 'gregor.1.incoming.echo', [randomValue(rand)]]);
    return {
      kind: 'truncated call',
      bytes: bytes.subarray(0, 1 + int(rand, bytes.length - 1)),
      expect: EXPECT.anything,
    };
  },
  (rand, max) => {
    const prefixes = [
      Uint8Array.of(0xce, 0x7f, 0xff, 0xff, 0xff),
      Uint8Array.of(0xcf, 0xff, 0, 0, 0, 0, 0, 0, 1),
      Uint8Array.of(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0),
      Uint8Array.of(0xd2, 0xff, 0xff, 0xff, 0xfe),
      Uint8Array.of(0x00),
      encodeLengthPrefix(max + 1 + int(rand, 1000)),
    ];
    const prefix = prefixes[int(rand, prefixes.length)]!;
    return {
      kind: 'bad length',
      bytes: concat(prefix, Uint8Array.of(0x94)),
      expect: EXPECT.refusal,
    };
  },
  (rand) => {
    // A message array of four random values. A call (0), a short compressed call (4) or an
    // unknown type (5) is answered with an error or closes the connection; a response, notify
    // or cancel to nothing may rightly get no answer at all.
    const type = int(rand, 6);
    const value = [type, randomValue(rand), randomValue(rand), randomValue(rand)];
    const expect = type === 0 || type >= 4 ? EXPECT.refusal : EXPECT.anything;
    return { kind: 'wrong types', bytes: frame(value), expect };
  },
  (rand, max) => {
    // Deeply nested args: [0, 1, echo, [[[[...]]]]] within the frame limit.
    const depth = Math.min(max - 40, 1000 + int(rand, 50_000));
    const head = encodeCanonical([0, 1, 'gregor.1.incoming.echo']);
    head[0] = 0x94;
    const nested = concat(new Uint8Array(depth).fill(0x91), Uint8Array.of(0xc0));
    return { kind: 'deep nesting', bytes: rawFrame(concat(head, nested)), expect: EXPECT.refusal };
  },
  (rand) => {
    const headers = [
      Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xc6, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xdd, 0x00, 0x00, 0xff, 0xff),
      Uint8Array.of(0xc1),
    ];
    const payload = concat(
      Uint8Array.of(0x94, 0x00, 0x01, 0xa1, 0x78),
      headers[int(rand, headers.length)]!,
    );
    return { kind: 'huge header', bytes: rawFrame(payload), expect: EXPECT.refusal };
  },
  (rand) => ({
    kind: 'valid echo',
    bytes: frame([0, int(rand, 1000), 'gregor.1.incoming.echo', [randomValue(rand)]]),
    expect: EXPECT.anything,
  }),
];

/** One hostile input drawn from `rand`. */
export function nextInput(rand: Rand, maxFrameBytes: number): FuzzInput {
  return GENERATORS[int(rand, GENERATORS.length)]!(rand, maxFrameBytes);
}
