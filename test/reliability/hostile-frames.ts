/**
 * The hostile frame shapes of the fuzz-frames scenario, beside the general mix of
 * test/fuzz/frame-generators.ts: headers that claim far more than the frame holds, compressed
 * calls that inflate past every limit, and frames that never finish. Every input is a function of
 * the PRNG only, so an attacker's seed replays its sequence.
 */
import { gzipSync } from 'node:zlib';
import { encodeCanonical, METHODS } from '../../packages/client/src/protocol/index.js';
import { encodeFrame, encodeLengthPrefix } from '../../packages/client/src/rpc/internal.js';
import { type FuzzInput, nextInput } from '../fuzz/frame-generators.js';
import { concat, rawFrame } from '../helpers/bytes.js';

/** An input, and whether it is a frame left unfinished on purpose (the attacker then holds). */
export interface HostileInput extends FuzzInput {
  isPartial?: boolean;
}

type Rand = () => number;
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

/** `[0, seq, method, …` with the array header claiming four elements, for raw args to follow. */
function callHead(seq: number, method: string): Uint8Array {
  const head = encodeCanonical([0, seq, method]);
  head[0] = 0x94;
  return head;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

/** Large counts a header may claim: 2^24 - 1 (the 228-byte killer), 2^32 - 1, and others. */
const CLAIMS = [0x00ff_ffff, 0xffff_ffff, 0x0100_0000, 0x7fff_ffff, 65_536];

/** `depth` nested containers of `header` (array32, map32) each claiming `claim` elements. */
function nestedClaims(header: number, depth: number, claim: number): Uint8Array {
  const one = concat(Uint8Array.of(header), u32(claim));
  const out = new Uint8Array(one.length * depth);
  for (let i = 0; i < depth; i++) out.set(one, i * one.length);
  return out;
}

// Decompression bombs, built once: gzip of zeros (inflating to 1, 15 and 100 MiB) and of nested
// array32 headers (a msgpack bomb inside a gzip bomb).
const BOMBS: Uint8Array[] = [
  gzipSync(new Uint8Array(1 << 20)),
  gzipSync(new Uint8Array(15 << 20)),
  gzipSync(new Uint8Array(100 << 20)),
  gzipSync(nestedClaims(0xdd, 200_000, 0x00ff_ffff)),
];

const METHOD_NAMES = Object.values(METHODS).map((m) => m.name);

const HOSTILE: ((rand: Rand, maxFrameBytes: number) => HostileInput)[] = [
  (rand) => {
    // The shape that killed gregord: [0, 1, method, [[[[…]]]]] with every array32 header
    // claiming millions of elements, in a frame of a few hundred bytes.
    const depth = 1 + int(rand, 60);
    const claim = CLAIMS[int(rand, CLAIMS.length)]!;
    const payload = concat(
      callHead(int(rand, 1000), METHOD_NAMES[int(rand, METHOD_NAMES.length)]!),
      nestedClaims(0xdd, depth, claim),
    );
    return { kind: 'nested array32 claims', bytes: rawFrame(payload), expect: 'refusal' };
  },
  (rand) => {
    const depth = 1 + int(rand, 60);
    const claim = CLAIMS[int(rand, CLAIMS.length)]!;
    const payload = concat(
      callHead(int(rand, 1000), 'gregor.1.incoming.ping'),
      nestedClaims(0xdf, depth, claim),
    );
    return { kind: 'nested map32 claims', bytes: rawFrame(payload), expect: 'refusal' };
  },
  (rand) => {
    // str32, bin32 or ext32 claiming far more bytes than follow.
    const header = [0xdb, 0xc6, 0xc9][int(rand, 3)]!;
    const claim = CLAIMS[int(rand, CLAIMS.length)]!;
    const payload = concat(
      callHead(int(rand, 1000), 'gregor.1.incoming.ping'),
      Uint8Array.of(0x91, header),
      u32(claim),
      Uint8Array.of(1, 2, 3),
    );
    return { kind: 'huge str/bin/ext claim', bytes: rawFrame(payload), expect: 'refusal' };
  },
  (rand) => {
    // A compressed call (type 4, ctype 1 gzip) whose arguments inflate past every limit.
    const bomb = BOMBS[int(rand, BOMBS.length)]!;
    const frame = encodeFrame(
      encodeCanonical([4, int(rand, 1000), 1, 'gregor.1.incoming.ping', bomb]),
    );
    return { kind: 'gzip bomb call', bytes: frame, expect: 'refusal' };
  },
  (rand, max) => {
    // A length prefix up to the frame limit, then a fraction of it: the frame never finishes.
    const claimed = Math.max(16, max - int(rand, 1024));
    const sent = Math.min(claimed - 1, int(rand, 64 * 1024));
    const body = new Uint8Array(sent);
    body[0] = 0x94;
    return {
      kind: 'partial frame',
      bytes: concat(encodeLengthPrefix(claimed), body),
      expect: 'anything',
      isPartial: true,
    };
  },
  (rand) => {
    // A well-framed call of a gregor method with arguments of a random small shape.
    const arg =
      rand() < 0.5
        ? { uid: new Uint8Array(int(rand, 40)) }
        : [int(rand, 1000), 'x'.repeat(int(rand, 100))];
    const frame = encodeFrame(
      encodeCanonical([0, int(rand, 1000), METHOD_NAMES[int(rand, METHOD_NAMES.length)], [arg]]),
    );
    return { kind: 'gregor method, random args', bytes: frame, expect: 'anything' };
  },
];

/** One input: a hostile shape with probability `hostileShare`, else the general fuzz mix. */
export function nextHostileInput(
  rand: Rand,
  maxFrameBytes: number,
  hostileShare: number,
): HostileInput {
  if (rand() < hostileShare) return HOSTILE[int(rand, HOSTILE.length)]!(rand, maxFrameBytes);
  return nextInput(rand, maxFrameBytes);
}
