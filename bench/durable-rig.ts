/**
 * The servers of the durable benchmark and their connected users, started on first use and kept
 * for the whole run, so that sections can share them and each can also run alone:
 * - gregord child processes (the real `gregord` command, --mock-auth, no HTTP listener): on its
 *   embedded default, SQLite (WAL, synchronous=FULL) in a temp --data-dir, or on a scratch
 *   PostgreSQL or MariaDB database of its own, dropped at the end;
 * - the Socket.IO peer (socketio-peer-server.ts) and the bare forwarder (bare-forwarder-server.ts),
 *   each in a child process too, so that every server has its own process and the load generator
 *   (this process) shares none of them;
 * - USERS users × 2 connections on each, the same uids everywhere.
 * `close()` stops every child, drops the databases and removes the temp directories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS, toHex } from '../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../packages/client/src/rpc/index.js';
import { MOCK_SUPERUSER_TOKEN } from '../packages/server/src/auth/index.js';
import { GregordProcess } from '../test/integration/helpers/gregord-process.js';
import { createScratchDatabase } from '../test/integration/helpers/scale-fixtures.js';
import { startChildServer } from './child-server.js';
import { rpcSenders, type Sender } from './server-bench-load.js';
import {
  type BenchTarget,
  connectUsers,
  disconnect,
  inBand,
  outOfBand,
  Recorder,
} from './server-bench-peers.js';
import { connectPeerUsers } from './socketio-peer-clients.js';

/** Where a gregord keeps its state. */
export type Store = 'sqlite' | 'postgres' | 'mysql';

/** A server's connected users, as the load shapes drive them. */
export interface Load {
  readonly name: string;
  /** The server process, whose CPU time is read. */
  readonly pid: number;
  readonly recorder: Recorder;
  readonly senders: readonly Sender[];
}

/** A gregord's users: the same connections send in-band or out-of-band messages. */
export interface GregordLoads {
  readonly inBand: Load;
  readonly outOfBand: Load;
}

export class DurableRig {
  readonly users: number;
  #closers: (() => unknown)[] = [];
  #started = new Map<string, Promise<unknown>>();

  constructor(users: number) {
    this.users = users;
  }

  /** `start()` once per key; later calls get the same promise. */
  #once<T>(key: string, start: () => Promise<T>): Promise<T> {
    let started = this.#started.get(key) as Promise<T> | undefined;
    if (started === undefined) {
      started = start();
      this.#started.set(key, started);
    }
    return started;
  }

  /** A gregord on `store`, started on first use. */
  gregord(store: Store): Promise<GregordProcess> {
    return this.#once(`gregord-${store}`, async () => {
      const options = { name: `gregord-${store}`, http: false } as const;
      if (store === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'gregor-durable-bench-'));
        this.#closers.push(() => rmSync(dir, { recursive: true, force: true }));
        return this.#keep(GregordProcess.start({ ...options, args: ['--data-dir', dir] }));
      }
      const db = await createScratchDatabase(store);
      this.#closers.push(() => db.drop());
      return this.#keep(GregordProcess.start({ ...options, storage: db.url }));
    });
  }

  /** USERS users × 2 connections on the gregord of `store`. */
  gregordLoads(store: Store): Promise<GregordLoads> {
    return this.#once(`users-${store}`, async () => {
      const gregord = await this.gregord(store);
      const target: BenchTarget = {
        name: gregord.name,
        port: gregord.tcpPort,
        token: toHex, // --mock-auth: the token is the uid in hex
        close: async () => undefined,
      };
      const recorder = new Recorder();
      const users = await connectUsers(target, recorder, this.users);
      this.#closers.push(() => disconnect(users));
      const pid = gregord.child.pid!;
      return {
        inBand: { name: 'in-band', pid, recorder, senders: rpcSenders(users, inBand) },
        outOfBand: { name: 'out-of-band', pid, recorder, senders: rpcSenders(users, outOfBand) },
      };
    });
  }

  /** One more connection to the gregord of `store`, logged in as the superuser. */
  async superuser(store: Store): Promise<RpcSession> {
    const gregord = await this.gregord(store);
    const session = await connectTcp({ port: gregord.tcpPort });
    this.#closers.push(() => {
      session.close();
      return session.closed();
    });
    await session.call(METHODS.authenticateSessionToken.name, { session: MOCK_SUPERUSER_TOKEN });
    return session;
  }

  /** USERS users × 2 Socket.IO connections on the peer server. */
  peerLoad(): Promise<Load> {
    return this.#once('peer', async () => {
      const peer = await startChildServer(new URL('./socketio-peer-server.ts', import.meta.url));
      this.#closers.push(() => peer.stop());
      const recorder = new Recorder();
      const users = await connectPeerUsers(peer.port, recorder, this.users);
      this.#closers.push(() => users.close());
      return { name: 'Socket.IO peer', pid: peer.pid, recorder, senders: users.senders };
    });
  }

  /** USERS users × 2 connections on the bare forwarder, sending in-band messages. */
  forwarderLoad(): Promise<Load> {
    return this.#once('forwarder', async () => {
      const forwarder = await startChildServer(
        new URL('./bare-forwarder-server.ts', import.meta.url),
      );
      this.#closers.push(() => forwarder.stop());
      const target: BenchTarget = {
        name: 'bare forwarder',
        port: forwarder.port,
        token: toHex,
        close: async () => undefined,
      };
      const recorder = new Recorder();
      const users = await connectUsers(target, recorder, this.users);
      this.#closers.push(() => disconnect(users));
      return {
        name: 'bare forwarder',
        pid: forwarder.pid,
        recorder,
        senders: rpcSenders(users, inBand),
      };
    });
  }

  async #keep(started: Promise<GregordProcess>): Promise<GregordProcess> {
    const gregord = await started;
    this.#closers.push(() => gregord.stop());
    return gregord;
  }

  /** Undo everything, last started first; never rejects. */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        console.log(`# clean-up failed: ${err}`);
      }
    }
  }
}
