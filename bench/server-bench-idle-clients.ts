/**
 * Child process of the heap measurement (server-bench-heap.ts): opens `count` raw TCP connections
 * to the server on `port`, logs each in with a signed token (user i % users), keeps them idle, and
 * tells the parent when all are in. Raw sockets keep this side small; it runs in its own process
 * so its memory is not counted. The connections come from 127.0.0.`first` and up, `perAddress`
 * from each: one source address has about 28k ephemeral ports towards the server's port.
 * argv: port count users first perAddress
 */
import { connect, type Socket } from 'node:net';
import { loginFrame } from './server-bench-peers.js';

const [port, count, users, first, perAddress] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
];
const BATCH = 500;

function open(i: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const localAddress = `127.0.0.${first + Math.floor(i / perAddress)}`;
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(loginFrame(i % users)));
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
