/**
 * The Socket.IO peer of the durable benchmark: what a team would write with the popular realtime
 * framework to get gregord's core promise (a user's devices all see each message, and it is stored
 * before anyone is told). Run as a child process of the benchmark (child-server.ts).
 *
 * - WebSocket transport only, one room per user, the uid given in the handshake's `auth`;
 * - `consume` {seq, body}: INSERT the message into SQLite as its own transaction (autocommit: one
 *   commit, and with synchronous=FULL one fsync, per message, on the event loop as better-sqlite3
 *   does), then emit `message` with the same payload to the user's room (the sender included), then
 *   ack the sender; a failed INSERT acks `{error}` and emits nothing.
 * - The same durability as gregord's default: WAL, synchronous=FULL, in a temp directory that is
 *   removed when the process ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';
import { serveUntilStdinEnds } from './child-server.js';

/** What the load generator sends, and what every device of the user receives. */
export interface PeerMessage {
  seq: number;
  body: string;
}

const UID_HEX = /^[0-9a-f]{32}$/;

const dir = mkdtempSync(join(tmpdir(), 'gregor-socketio-peer-'));
const db = new Database(join(dir, 'peer.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE messages (
  uid TEXT NOT NULL, seq INTEGER NOT NULL, ctime INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (uid, seq))`);
const insert = db.prepare('INSERT INTO messages (uid, seq, ctime, body) VALUES (?, ?, ?, ?)');

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.use((socket, next) => {
  const uid: unknown = socket.handshake.auth.uid;
  next(typeof uid === 'string' && UID_HEX.test(uid) ? undefined : new Error('bad uid'));
});
io.on('connection', (socket) => {
  const uid = socket.handshake.auth.uid as string;
  void socket.join(uid);
  socket.on('consume', (message: PeerMessage, ack: (answer: unknown) => void) => {
    try {
      insert.run(uid, message.seq, Date.now(), message.body);
    } catch (err) {
      ack({ error: String(err) });
      return;
    }
    io.to(uid).emit('message', message);
    ack(null);
  });
});
http.listen(0, '127.0.0.1', () => {
  serveUntilStdinEnds((http.address() as AddressInfo).port, () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
