// Hostile frames against a running server: a few bytes claiming huge containers, zip bombs in
// compressed calls, oversized frames before login. Each is refused within the decode limits,
// closes (or answers) only its own connection, keeps the heap bounded, and a logged-in bystander
// is served meanwhile. Every one of these took the whole process down or grew it by GiBs before.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { WebSocket } from 'ws';
import { encodeCanonical, METHODS } from '../../packages/client/src/protocol/index.js';
import { encodeFrame } from '../../packages/client/src/rpc/internal.js';
import { DEFAULT_WS_PATH } from '../../packages/server/src/server/index.js';
import { concat, rawFrame } from '../helpers/bytes.js';
import { eventually } from '../helpers/eventually.js';
import { closedByServer, collectFrames, rawConnect, rawLogin } from './helpers/raw-peer.js';
import { creation, type Harness, startServer, U1, U2 } from './helpers/test-server.js';

const PING = METHODS.ping.name;
const CONSUME = METHODS.consumeMessage.name;
/** Generous: a refused frame costs kilobytes; before, each of these cost hundreds of MiB. */
const MAX_HEAP_GROWTH = 96 * 1024 * 1024;

/** `[0, 1, method, <depth nested array32 headers, each claiming 16,777,215 elements>]`, framed. */
function nestedArrayBomb(method: string, depth = 40): Uint8Array {
  const head = encodeCanonical([0, 1, method]);
  head[0] = 0x94; // the args element follows
  const bomb = new Uint8Array(depth * 5);
  for (let i = 0; i < depth; i++) bomb.set([0xdd, 0x00, 0xff, 0xff, 0xff], i * 5);
  return rawFrame(concat(head, bomb));
}

/** gzip of an args array of `count` empty bins: 2 bytes each plain, millions of objects decoded. */
function zipBomb(count: number): Uint8Array {
  const plain = Buffer.alloc(5 + 2 * count);
  plain.set([0xdd, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff]);
  for (let i = 0; i < count; i++) plain[5 + 2 * i] = 0xc4;
  return gzipSync(plain, { level: 9 });
}

/** A type-4 (compressed, gzip) call of `method` with `compressed` args, framed. */
function compressedCall(seq: number, method: string, compressed: Uint8Array): Uint8Array {
  return encodeFrame(encodeCanonical([4, seq, 1, method, compressed]));
}

/** Just under 16 MiB of plain args: within the decompression limit after login, 8M values. */
const BOMB = zipBomb(8 * 1024 * 1024 - 8);

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

async function refusals(h: Harness, code: string): Promise<number> {
  const metric = await h.server.metrics.protocolRefusals.get();
  return metric.values.find((v) => v.labels.code === code)?.value ?? 0;
}

/** The answer to call `seq` among raw `frames`, once it has arrived. */
async function answerOf(frames: unknown[], seq: number): Promise<unknown[]> {
  const isAnswer = (f: unknown): f is unknown[] => Array.isArray(f) && f[0] === 1 && f[1] === seq;
  await eventually(() => frames.some(isAnswer), {
    timeoutMs: 10_000,
    message: `the answer to call ${seq}`,
  });
  return frames.find(isAnswer)!;
}

function errorCode(answer: unknown[]): string | undefined {
  return (answer[2] as { fields?: { key: string; value: string }[] } | null)?.fields?.find(
    (f) => f.key === 'code',
  )?.value;
}

describe('gregord under hostile input', () => {
  let h: Harness;
  let sockets: Socket[];
  beforeEach(async () => {
    h = await startServer({ http: true });
    sockets = [];
  });
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await h.close();
  });

  async function attacker(): Promise<Socket> {
    const socket = await rawConnect(h.addresses.tcp!.port);
    sockets.push(socket);
    return socket;
  }

  it('closes a 228-byte frame of nested array32 headers before login, heap flat, bystander served', async () => {
    const bystander = await h.user(U1);
    const heapBefore = heapUsed();
    const frame = nestedArrayBomb(PING);
    assert.ok(frame.byteLength <= 228);
    const socket = await attacker();
    socket.write(frame);
    const [pong] = await Promise.all([bystander.call('ping', {}), closedByServer(socket)]);
    assert.equal(pong, 'pong');
    assert.ok(heapUsed() - heapBefore < MAX_HEAP_GROWTH, 'heap growth bounded');
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_BAD_FRAME'), 1);
  });

  it('closes the same frame sent over WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.addresses.http!.port}${DEFAULT_WS_PATH}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send(nestedArrayBomb(PING));
    await closed;
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_BAD_FRAME'), 1);
    const bystander = await h.user(U1);
    assert.equal(await bystander.call('ping', {}), 'pong');
  });

  it('refuses a compressed consume before login without decompressing it', async () => {
    const heapBefore = heapUsed();
    const socket = await attacker();
    const frames = collectFrames(socket);
    socket.write(compressedCall(7, CONSUME, BOMB));
    const answer = await answerOf(frames, 7);
    assert.equal(errorCode(answer), 'GREGOR_ERR_AUTH_BAD_SESSION');
    assert.ok(heapUsed() - heapBefore < MAX_HEAP_GROWTH, 'heap growth bounded');
  });

  it('stops decompressing an open method at the login frame limit before login', async () => {
    const socket = await attacker();
    const frames = collectFrames(socket);
    socket.write(compressedCall(3, PING, BOMB));
    const answer = await answerOf(frames, 3);
    assert.equal(errorCode(answer), 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE');
    assert.match(String((answer[2] as { desc: string }).desc), /65536/);
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE'), 1);
    assert.equal(socket.destroyed, false, 'an answered refusal keeps the connection');
  });

  it('closes a frame larger than the login frame limit before login, accepts it after', async () => {
    const big = encodeFrame(encodeCanonical([0, 1, PING, [{ pad: 'x'.repeat(100_000) }]]));
    const stranger = await attacker();
    stranger.write(big);
    await closedByServer(stranger);
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE'), 1);

    const member = await rawLogin(h.addresses.tcp!.port, h.auth.allow(U2));
    sockets.push(member);
    const frames = collectFrames(member);
    member.write(big);
    assert.deepEqual((await answerOf(frames, 1)).slice(2), [null, 'pong']);
  });

  it("after login, closes a user's frame past --max-client-frame-bytes, serves the superuser's", async () => {
    const big = encodeFrame(encodeCanonical([0, 1, PING, [{ pad: 'x'.repeat(2_000_000) }]]));
    const member = await rawLogin(h.addresses.tcp!.port, h.auth.allow(U2));
    sockets.push(member);
    member.write(big);
    await closedByServer(member);
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE'), 1);

    const superuser = await rawLogin(h.addresses.tcp!.port, 'superuser');
    sockets.push(superuser);
    const frames = collectFrames(superuser);
    superuser.write(big);
    assert.deepEqual((await answerOf(frames, 1)).slice(2), [null, 'pong']);
  });

  it('after login, refuses 4M values in one frame by the value limit and closes only that connection', async () => {
    const bystander = await h.user(U1);
    // The superuser may send frames up to --max-frame-bytes, so only the value limit stops this.
    const member = await rawLogin(h.addresses.tcp!.port, 'superuser');
    sockets.push(member);
    const heapBefore = heapUsed();
    const count = 4 * 1024 * 1024;
    const payload = Buffer.alloc(4 + 5 + 2 * count);
    const head = encodeCanonical([0, 9, CONSUME]);
    head[0] = 0x94;
    payload.set(head);
    let at = head.byteLength;
    payload.set([0xdd, 0x00, 0x40, 0x00, 0x00], at); // 4,194,304 elements
    at += 5;
    for (let i = 0; i < count; i++) payload[at + 2 * i] = 0xc4;
    const body = payload.subarray(0, at + 2 * count);
    member.write(rawFrame(body));
    const [pong] = await Promise.all([bystander.call('ping', {}), closedByServer(member)]);
    assert.equal(pong, 'pong');
    assert.ok(heapUsed() - heapBefore < MAX_HEAP_GROWTH, 'heap growth bounded');
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_BAD_FRAME'), 1);
  });

  it('after login, answers three pipelined zip bombs with an error at the client frame limit, heap bounded, bystander served', async () => {
    const bystander = await h.user(U1);
    await bystander.call('consumeMessage', { m: creation(U1, 1) });
    const member = await rawLogin(h.addresses.tcp!.port, h.auth.allow(U2));
    sockets.push(member);
    const frames = collectFrames(member);
    const heapBefore = heapUsed();
    member.write(
      concat(
        compressedCall(11, CONSUME, BOMB),
        compressedCall(12, CONSUME, BOMB),
        compressedCall(13, CONSUME, BOMB),
      ),
    );
    for (const seq of [11, 12, 13]) {
      assert.equal(errorCode(await answerOf(frames, seq)), 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE');
    }
    assert.ok(heapUsed() - heapBefore < MAX_HEAP_GROWTH, 'heap growth bounded');
    assert.equal(await refusals(h, 'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE'), 3);
    const state = await bystander.call('state', {
      uid: U1,
      deviceid: null,
      timeOrOffset: { time: 0, offset: 0 },
    });
    assert.equal(state.items.length, 1, "the bystander's stored state is intact");
  });
});
