/**
 * The per-unit costs the capacity model (bench/capacity.ts) is built from, each measured here on
 * loopback with everything it starts stopped and removed again:
 * - CPU per delivery and per in-band consume: a real gregord child (SQLite under a temp
 *   --data-dir, in-process bus, --mock-auth), USERS users × 2 connections, closed loop;
 * - Redis used_memory per subscribed uid through RedisBus, on a private redis-server;
 * - bytes per stored item and per logged message, SQLite (dbstat) and PostgreSQL
 *   (pg_total_relation_size, in a scratch schema dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { creationMessage } from '../packages/client/src/client/item-messages.js';
import type { UID } from '../packages/client/src/protocol/index.js';
import { mockToken } from '../packages/server/src/auth/index.js';
import { RedisBus } from '../packages/server/src/pubsub/index.js';
import { openSqlEngine } from '../packages/server/src/storage/index.js';
import { GregordProcess } from '../test/integration/helpers/gregord-process.js';
import { PrivateRedisServer } from '../test/unit/pubsub/private-redis-server.js';
import { cpuSecondsOf } from './process-cpu.js';
import { bareClient, uidOf, usedMemory } from './pubsub-bench-kit.js';
import { closedLoop, type MessageMaker, rpcSenders } from './server-bench-load.js';
import {
  type BenchTarget,
  connectUsers,
  disconnect,
  freshUID,
  inBand,
  outOfBand,
  Recorder,
} from './server-bench-peers.js';

const POSTGRES_URL =
  process.env.GREGOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** CPU the gregord process spent, per consume and per delivery, in one load shape. */
export interface CpuFigures {
  consumesPerSec: number;
  deliveriesPerSec: number;
  cpuUsPerConsume: number;
  cpuUsPerDelivery: number;
  errors: number;
}

/** In-band and out-of-band figures of one gregord child. */
export interface CpuResult {
  users: number;
  inBand: CpuFigures;
  outOfBand: CpuFigures;
}

async function cpuOf(
  pid: number,
  run: () => Promise<{ consumesPerSec: number; deliveriesPerSec: number; errors: number }>,
  phaseMs: number,
): Promise<CpuFigures> {
  const before = cpuSecondsOf(pid);
  const peak = await run();
  const cpuSec = cpuSecondsOf(pid) - before;
  const seconds = phaseMs / 1000;
  return {
    ...peak,
    cpuUsPerConsume: (1e6 * cpuSec) / (peak.consumesPerSec * seconds),
    cpuUsPerDelivery: (1e6 * cpuSec) / (peak.deliveriesPerSec * seconds),
  };
}

/** gregord's CPU per in-band and out-of-band consume, `users` users × 2 connections each. */
export async function measureCpu(users: number, phaseMs: number): Promise<CpuResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-capacity-'));
  const gregord = await GregordProcess.start({
    name: 'gregord',
    http: false,
    args: ['--data-dir', join(dir, 'data')],
  });
  let session = 0;
  const target: BenchTarget = {
    name: 'gregord',
    port: gregord.tcpPort,
    // Each connection its own session ID, as two real devices of one user would have.
    token: (uid: UID) => mockToken(uid, `s${session++}`),
    close: async () => undefined,
  };
  const recorder = new Recorder();
  const clients = await connectUsers(target, recorder, users);
  try {
    const pid = gregord.child.pid!;
    const phase = (make: MessageMaker, ms: number) =>
      cpuOf(pid, () => closedLoop(rpcSenders(clients, make), recorder, 4, ms), ms);
    // Warm both paths first (JIT, SQLite page cache), unrecorded.
    await phase(inBand, 500);
    await phase(outOfBand, 500);
    const ib = await phase(inBand, phaseMs);
    const oob = await phase(outOfBand, phaseMs);
    return { users, inBand: ib, outOfBand: oob };
  } finally {
    await disconnect(clients);
    await gregord.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Redis used_memory per uid subscribed through one RedisBus, on a private redis-server. */
export async function measureRedisPerSubscription(uids: number): Promise<number> {
  const server = await PrivateRedisServer.start();
  try {
    const info = await bareClient(server.url);
    const bus = await RedisBus.connect({
      url: server.url,
      logger: { warn: () => undefined, error: () => undefined },
    });
    const before = await usedMemory(info);
    const handler = (): void => undefined;
    await Promise.all(Array.from({ length: uids }, (_, i) => bus.subscribe(uidOf(i), handler)));
    const bytes = (await usedMemory(info)) - before;
    await bus.close();
    info.destroy();
    return bytes / uids;
  } finally {
    await server.stop();
  }
}

/** Bytes one stored item and one logged message take, with indexes, per dialect. */
export interface StorageBytes {
  dialect: 'sqlite' | 'postgres';
  rows: number;
  bytesPerItem: number;
  bytesPerMessage: number;
}

const ITEM = { category: 'capacity', body: 'c'.repeat(200) };

/** Consume `count` creations of a 200-byte item over `users` users, 256 in flight. */
async function fill(
  engine: { consumeMessage(m: ReturnType<typeof creationMessage>): Promise<unknown> },
  count: number,
  users: number,
): Promise<void> {
  const uids = Array.from({ length: users }, freshUID);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await engine.consumeMessage(creationMessage(uids[i % users]!, ITEM));
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
}

/** SQLite: the pages of each table and its indexes (dbstat), after `count` creations. */
export async function measureSqliteBytes(count: number, users: number): Promise<StorageBytes> {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-capacity-'));
  const path = join(dir, 'capacity.db');
  try {
    const engine = await openSqlEngine(`sqlite:${path}`);
    await fill(engine, count, users);
    await engine.close();
    const db = new Database(path);
    db.pragma('wal_checkpoint(TRUNCATE)');
    // dbstat names every table and index page; an index belongs to its table (tbl_name).
    const bytesOf = (table: string): number =>
      (
        db
          .prepare(
            `SELECT SUM(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_master m ON m.name = d.name
             WHERE m.tbl_name = ?`,
          )
          .get(table) as { bytes: number }
      ).bytes;
    const result = {
      dialect: 'sqlite' as const,
      rows: count,
      bytesPerItem: bytesOf('gregor_items') / count,
      bytesPerMessage: bytesOf('gregor_messages') / count,
    };
    db.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL: pg_total_relation_size of each table, in a scratch schema dropped afterwards. */
export async function measurePostgresBytes(count: number, users: number): Promise<StorageBytes> {
  const schema = `gregor_capacity_${process.pid}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const engine = await openSqlEngine(POSTGRES_URL, { schema });
    await fill(engine, count, users);
    await engine.close();
    // VACUUM so the visibility map and free-space map are there, as on a table in service.
    await admin.query(`VACUUM ANALYZE ${schema}.gregor_items, ${schema}.gregor_messages`);
    const size = async (table: string): Promise<number> =>
      Number(
        (
          await admin.query<{ bytes: string }>(`SELECT pg_total_relation_size($1) AS bytes`, [
            `${schema}.${table}`,
          ])
        ).rows[0]!.bytes,
      );
    return {
      dialect: 'postgres',
      rows: count,
      bytesPerItem: (await size('gregor_items')) / count,
      bytesPerMessage: (await size('gregor_messages')) / count,
    };
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}
