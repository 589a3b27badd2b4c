/**
 * One attacker of the fuzz-frames scenario: a loop of raw TCP connections to gregord, logged in
 * or not, each sending hostile frames one at a time. After each frame it sends a ping as a
 * sentinel: the sentinel's answer means the server has dealt with the frame and the connection
 * lives on; a close means the server refused it; no answer within `settleMs` (the frame left the
 * stream mid-message) ends the connection. A partial frame is held open for `holdMs`, then
 * dropped. Every reply must be a well-formed frame.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  decodeMsgpack,
  encodeCanonical,
  METHODS,
} from '../../packages/client/src/protocol/index.js';
import { encodeFrame, FrameDecoder } from '../../packages/client/src/rpc/internal.js';
import { prng } from '../helpers/random.js';
import { type HostileInput, nextHostileInput } from './hostile-frames.js';

/** How the attackers are tuned. */
export interface AttackOptions {
  port: number;
  maxFrameBytes: number;
  /** Share of inputs drawn from the hostile shapes (the rest: the general fuzz mix). */
  hostileShare: number;
  /** Share of connections that log in first (as `token`). */
  loginShare: number;
  token: string;
  settleMs: number;
  holdMs: number;
}

/** What all attackers did, counted together. */
export class AttackStats {
  frames = 0;
  answered = 0;
  closedByServer = 0;
  stalled = 0;
  held = 0;
  connections = 0;
  connectFailures = 0;
  malformedReplies = 0;
  readonly byKind = new Map<string, number>();
}

const SENTINEL_BASE = 2_000_000;
const LOGIN_SEQ = 1_000_000;

type Outcome = 'answered' | 'closed' | 'stalled';

/** A raw connection that knows which sequence numbers have been answered. */
class RawConnection {
  readonly socket: Socket;
  readonly #decoder = new FrameDecoder(64 << 20);
  readonly #waiting = new Map<number, (o: Outcome) => void>();
  isClosed = false;

  constructor(socket: Socket, stats: AttackStats) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk);
      try {
        for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
          const message = decodeMsgpack(f) as unknown[];
          this.#waiting.get(message[1] as number)?.('answered');
        }
      } catch {
        stats.malformedReplies++;
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.isClosed = true;
      for (const resolve of this.#waiting.values()) resolve('closed');
    });
  }

  static open(port: number): Promise<RawConnection | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new RawConnection(socket, new AttackStats())));
      socket.once('error', () => resolve(undefined));
    });
  }

  /** Write `bytes`, then wait for the answer to `seq`, a close, or `ms`. */
  async exchange(bytes: Uint8Array, seq: number, ms: number): Promise<Outcome> {
    if (this.isClosed) return 'closed';
    const answered = new Promise<Outcome>((resolve) => this.#waiting.set(seq, resolve));
    this.socket.write(bytes);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), ms);
    });
    const outcome = await Promise.race([answered, late]);
    clearTimeout(timer);
    this.#waiting.delete(seq);
    return outcome;
  }
}

function pingFrame(seq: number): Uint8Array {
  return encodeFrame(encodeCanonical([0, seq, METHODS.ping.name, [{}]]));
}

function loginFrame(token: string): Uint8Array {
  const spec = METHODS.authenticateSessionToken;
  return encodeFrame(
    encodeCanonical([0, LOGIN_SEQ, spec.name, [spec.encodeArg({ session: token })]]),
  );
}

/** One attacker with a PRNG of its own: `seed` replays its sequence of inputs. */
export class FrameAttacker {
  readonly seed: number;
  /** The last input sent, kept after the run (for the report if the server dies). */
  current: HostileInput | undefined;
  readonly #rand: () => number;
  readonly #options: AttackOptions;
  readonly #stats: AttackStats;
  #sentinel = SENTINEL_BASE;

  constructor(seed: number, options: AttackOptions, stats: AttackStats) {
    this.seed = seed;
    this.#rand = prng(seed);
    this.#options = options;
    this.#stats = stats;
  }

  /** Attack until `shouldGoOn()` turns false. */
  async run(shouldGoOn: () => boolean): Promise<void> {
    const o = this.#options;
    while (shouldGoOn()) {
      const conn = await RawConnection.open(o.port);
      if (conn === undefined) {
        this.#stats.connectFailures++;
        await delay(100);
        continue;
      }
      this.#stats.connections++;
      try {
        if (this.#rand() < o.loginShare) {
          if ((await conn.exchange(loginFrame(o.token), LOGIN_SEQ, 5000)) !== 'answered') continue;
        }
        while (shouldGoOn() && !conn.isClosed) {
          const input = nextHostileInput(this.#rand, o.maxFrameBytes, o.hostileShare);
          this.current = input;
          this.#stats.frames++;
          this.#stats.byKind.set(input.kind, (this.#stats.byKind.get(input.kind) ?? 0) + 1);
          if (input.isPartial === true) {
            conn.socket.write(input.bytes);
            await delay(o.holdMs);
            this.#stats.held++;
            break;
          }
          const seq = this.#sentinel++;
          const outcome = await conn.exchange(
            input.bytes.length > 0 ? concatPing(input.bytes, seq) : pingFrame(seq),
            seq,
            o.settleMs,
          );
          if (outcome === 'answered') this.#stats.answered++;
          else if (outcome === 'closed') this.#stats.closedByServer++;
          else {
            this.#stats.stalled++;
            break;
          }
        }
      } finally {
        conn.socket.destroy();
      }
    }
  }
}

/** The input followed by the sentinel ping, in one write. */
function concatPing(bytes: Uint8Array, seq: number): Uint8Array {
  const ping = pingFrame(seq);
  const out = new Uint8Array(bytes.length + ping.length);
  out.set(bytes, 0);
  out.set(ping, bytes.length);
  return out;
}
