/**
 * The load generator's side of the Socket.IO peer (socketio-peer-server.ts): each user has two
 * socket.io-client connections in its room, `a` sends and both receive, as with gregord's users.
 * The body is a 100-character string, as long as the in-band bench message's body.
 */
import { io, type Socket } from 'socket.io-client';
import type { Sender } from './server-bench-load.js';
import { benchUID, type Recorder } from './server-bench-peers.js';
import type { PeerMessage } from './socketio-peer-server.js';

const BODY = 'a'.repeat(100);
const ACK_TIMEOUT_MS = 10_000;
/** Connections opened at once: a burst of hundreds of WebSocket handshakes only slows them all. */
const CONNECT_BATCH = 50;

/** The connected users of one peer server. */
export interface PeerUsers {
  readonly senders: Sender[];
  close(): void;
}

/** Open one connection of `uid`, listed in `opened` at once so that a failed batch still closes it. */
function connect(
  port: number,
  uid: string,
  recorder: Recorder,
  isReceiver: boolean,
  opened: Socket[],
): Promise<Socket> {
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    auth: { uid },
    forceNew: true,
    reconnection: false,
  });
  opened.push(socket);
  socket.on('message', (m: PeerMessage) => recorder.delivered(m.seq, isReceiver));
  return new Promise<Socket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function sender(socket: Socket): Sender {
  return (seq) =>
    new Promise((resolve, reject) => {
      const message: PeerMessage = { seq, body: BODY };
      socket
        .timeout(ACK_TIMEOUT_MS)
        .emit('consume', message, (err: Error | null, answer: { error: string } | null) => {
          if (err !== null) reject(err);
          else if (answer !== null) reject(new Error(answer.error));
          else resolve(undefined);
        });
    });
}

/** Connect `count` users (the same uids as connectUsers) with two connections each. */
export async function connectPeerUsers(
  port: number,
  recorder: Recorder,
  count: number,
): Promise<PeerUsers> {
  const sockets: Socket[] = [];
  const senders: Sender[] = [];
  try {
    for (let i = 0; i < count; i += CONNECT_BATCH / 2) {
      const batch = Array.from({ length: Math.min(CONNECT_BATCH / 2, count - i) }, (_, k) => {
        const uid = Buffer.from(benchUID(i + k)).toString('hex');
        return Promise.all([
          connect(port, uid, recorder, false, sockets),
          connect(port, uid, recorder, true, sockets),
        ]);
      });
      for (const [a] of await Promise.all(batch)) senders.push(sender(a));
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return {
    senders,
    close() {
      for (const s of sockets) s.close();
    },
  };
}
