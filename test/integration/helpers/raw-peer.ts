/**
 * A raw TCP peer that speaks just enough framed msgpack-rpc to log in, then misbehaves on purpose:
 * it stops reading altogether (a frozen reader), reads and never answers (a stuck client),
 * writes what no real client would (an unfinished frame), or fires many calls and counts their
 * answers without decoding them.
 */
import { connect, type Socket } from 'node:net';
import {
  decodeMsgpack,
  encodeCanonical,
  METHODS,
} from '../../../packages/client/src/protocol/index.js';
import { encodeFrame, FrameDecoder } from '../../../packages/client/src/rpc/internal.js';

/** Connect to `port` on 127.0.0.1; socket errors (a reset by the server) are ignored. */
export async function rawConnect(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  return socket;
}

/** Connect to `port`, log in with `token`, and resolve once the login answer has arrived. */
export async function rawLogin(port: number, token: string): Promise<Socket> {
  const socket = await rawConnect(port);
  const spec = METHODS.authenticateSessionToken;
  socket.write(
    encodeFrame(encodeCanonical([0, 1, spec.name, [spec.encodeArg({ session: token })]])),
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return socket;
}

/** Stop reading: bytes pile up in the kernel and then in the server's write buffer. */
export function freeze(socket: Socket): void {
  socket.pause();
}

/** Read and drop everything, never answering a call. */
export function ignoreCalls(socket: Socket): void {
  socket.on('data', () => undefined);
}

/** Resolve once the socket is closed (the server closed it). */
export function closedByServer(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Decode every frame the server sends on `socket` into the returned list, as it arrives. */
export function collectFrames(socket: Socket): unknown[] {
  const received: unknown[] = [];
  const decoder = new FrameDecoder(64 * 1024 * 1024);
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk);
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
      received.push(decodeMsgpack(f));
    }
  });
  return received;
}

/** One answer read by `rawCalls`: its seqno, whether it carries an error, its size. */
export interface RawAnswer {
  readonly seqno: number;
  readonly isError: boolean;
  readonly bytes: number;
}

/**
 * Send `count` calls of `method` with the already encoded `arg` at once, and resolve with their
 * answers without decoding them (a test process that decoded many large answers would measure
 * its own event loop, not the server's). Seqnos start at 2 (1 is the login) and stay below 128.
 */
export function rawCalls(
  socket: Socket,
  method: string,
  arg: unknown,
  count: number,
  maxFrameBytes: number,
): Promise<RawAnswer[]> {
  const frames = Array.from({ length: count }, (_, i) =>
    encodeFrame(encodeCanonical([0, i + 2, method, [arg]])),
  );
  const decoder = new FrameDecoder(maxFrameBytes);
  const answers: RawAnswer[] = [];
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      decoder.push(chunk);
      for (let payload = decoder.next(); payload !== undefined; payload = decoder.next()) {
        // [1, seqno, error, result] as fixarray, fixint, fixint: the error is nil (0xc0) or not.
        answers.push({ seqno: payload[2]!, isError: payload[3] !== 0xc0, bytes: payload.length });
      }
      if (answers.length < count) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(answers);
    };
    const onClose = (): void =>
      reject(new Error(`closed after ${answers.length} of ${count} answers`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(Buffer.concat(frames));
  });
}
