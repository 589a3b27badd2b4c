// Seeded fuzz of a live TCP listener with hostile frames. Set GREGOR_FUZZ_SEED to
// replay a run; the seed is in every failure message. Each attacker draws a fixed number of inputs
// from a PRNG of its own (seed + its index), and no verdict depends on a wall-clock window, so a
// seed replays the same inputs and the same verdicts. Bounded: a few seconds, loopback only.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeMsgpack } from '../../packages/client/src/protocol/index.js';
import { connectTcp, FrameDecoder, listenTcp } from '../../packages/client/src/rpc/internal.js';
import { prng } from '../helpers/random.js';
import { EXPECT, type FuzzInput, nextInput } from './frame-generators.js';

const INPUTS_PER_ATTACKER = 60;
const ATTACKERS = 4;
const MAX_FRAME_BYTES = 64 * 1024;
/**
 * How long a connection that may rightly stay silent (an incomplete frame, a notify) is watched
 * before the next input. No verdict depends on it: a refusal is awaited until it comes.
 */
const SETTLE_MS = 50;
/** A refusal that has not come by then is a failure (a hang), however loaded the machine. */
const REFUSAL_TIMEOUT_MS = 10_000;

const seed = Number(process.env.GREGOR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Reply {
  isClosed: boolean;
  messages: unknown[];
}

/**
 * Send `bytes` on a fresh connection and collect what comes back: until the connection closes or
 * an error answer arrives when a refusal is expected (failing after REFUSAL_TIMEOUT_MS), else
 * until it closes or SETTLE_MS passes.
 */
function attack(port: number, input: FuzzInput): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder(1 << 20);
    const messages: unknown[] = [];
    const isRefusal = input.expect === EXPECT.refusal;
    const finish = (isClosed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ isClosed, messages });
    };
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      // The server must only ever write well-formed frames; a throw here fails the run.
      try {
        for (let f = decoder.next(); f !== undefined; f = decoder.next())
          messages.push(decodeMsgpack(f));
      } catch (err) {
        reject(err);
      }
      if (isRefusal && messages.some(isErrorAnswer)) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    const timer = setTimeout(
      () =>
        isRefusal
          ? reject(new Error(`no refusal in time: ${describeInput(input)}`))
          : finish(false),
      isRefusal ? REFUSAL_TIMEOUT_MS : SETTLE_MS,
    );
    socket.write(input.bytes);
  });
}

function isErrorAnswer(message: unknown): boolean {
  return Array.isArray(message) && message[0] === 1 && message[2] !== null;
}

function describeInput(input: FuzzInput): string {
  const hex = Buffer.from(input.bytes.subarray(0, 48)).toString('hex');
  return `seed=${seed} kind=${input.kind} bytes=${hex}${input.bytes.length > 48 ? '…' : ''}`;
}

describe('rpc frames fuzz', () => {
  it('never crashes, refuses broken frames, keeps serving a well-behaved peer, and stays bounded', async (t) => {
    t.diagnostic(`seed=${seed} (replay with GREGOR_FUZZ_SEED=${seed})`);
    const limits = { maxFrameBytes: MAX_FRAME_BYTES, maxWriteBufferBytes: 4 * MAX_FRAME_BYTES };
    const listener = await listenTcp({ port: 0, session: { limits } }, (session) => {
      session.handle('gregor.1.incoming.ping', () => 'pong');
      session.handle('gregor.1.incoming.echo', (arg) => arg);
    });
    const port = listener.address.port;
    const good = await connectTcp({ port });
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;

    // The well-behaved peer pings throughout; every ping must be answered.
    let pings = 0;
    let isAttacking = true;
    let pingFailure: unknown;
    const pinger = (async () => {
      while (isAttacking) {
        assert.equal(
          await good.call('gregor.1.incoming.ping', {}, { timeoutMs: 5000 }),
          'pong',
          `seed=${seed}`,
        );
        pings++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })().catch((err: unknown) => {
      pingFailure = err;
    });

    try {
      const counts = new Map<string, number>();
      const attacker = async (index: number): Promise<void> => {
        const rand = prng(seed + index);
        for (let i = 0; i < INPUTS_PER_ATTACKER; i++) {
          const input = nextInput(rand, MAX_FRAME_BYTES);
          counts.set(input.kind, (counts.get(input.kind) ?? 0) + 1);
          const reply = await attack(port, input);
          for (const message of reply.messages) {
            assert.ok(
              Array.isArray(message) && message[0] === 1,
              `not a response: ${describeInput(input)}`,
            );
          }
          if (input.expect === EXPECT.refusal) {
            assert.ok(
              reply.isClosed || reply.messages.some(isErrorAnswer),
              `neither closed nor answered with an error: ${describeInput(input)}`,
            );
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: ATTACKERS }, (_, index) => attacker(index)));
      } finally {
        isAttacking = false;
        await pinger;
      }
      assert.equal(pingFailure, undefined, `seed=${seed}: the good peer's ping failed`);
      t.diagnostic(
        `inputs: ${JSON.stringify(Object.fromEntries(counts))}; pings answered: ${pings}`,
      );
      assert.ok(pings > 0, `seed=${seed}: the good peer was never answered`);

      // Every attack connection is gone; only the good one remains.
      for (let i = 0; i < 100 && listener.sessions.size > 1; i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(listener.sessions.size, 1, `seed=${seed}: attack sessions left open`);

      collectGarbage();
      const grownBytes = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(grownBytes < 64 * 1024 * 1024, `seed=${seed}: heap grew by ${grownBytes} bytes`);
    } finally {
      good.close();
      await listener.close();
    }
  });
});
