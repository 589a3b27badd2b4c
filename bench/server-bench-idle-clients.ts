/**
 * Child process of the heap measurement (server-bench-heap.ts): opens `count` raw TCP connections
 * to the server on `port`, logs each in with a signed token (user i % users), keeps them idle, and
 * tells the parent when all are in. Raw sockets keep this side small; it runs in its own process
 * so its memory is not counted.
 * argv: port count users
 */
import { connect, type Socket } from 'node:net';
import { encodeCanonical, METHODS } from '../packages/client/src/protocol/index.js';
import { encodeFrame } from '../packages/client/src/rpc/internal.js';
import { mintToken } from '../packages/server/src/auth/index.js';
import { benchUID, SECRET } from './server-bench-peers.js';

const [port, count, users] = process.argv.slice(2).map(Number) as [number, number, number];
const BATCH = 500;
const spec = METHODS.authenticateSessionToken;

function loginFrame(i: number): Uint8Array {
  const token = mintToken({ uid: benchUID(i % users) }, SECRET);
  return encodeFrame(encodeCanonical([0, 1, spec.name, [spec.encodeArg({ session: token })]]));
}

function open(i: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(loginFrame(i)));
    socket.once('data', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

const sockets: Socket[] = [];
for (let i = 0; i < count; i += BATCH) {
  const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => open(i + k));
  sockets.push(...(await Promise.all(batch)));
}
process.send?.('ready');
process.on('message', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
