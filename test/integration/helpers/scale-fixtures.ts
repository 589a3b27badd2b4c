/**
 * Shared pieces of the scale-out tests and benchmark: a scratch database per run (PostgreSQL or
 * MariaDB, dropped after), uids unique to the run (the gregord bus has no channel-prefix option,
 * so runs sharing the Redis on 6379 are kept apart by their uids), numbered messages, and a
 * client connector that tries the cluster's instances in turn.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Connector } from '../../../packages/client/src/client/index.js';
import {
  fromHex,
  type Message,
  type MsgID,
  type TimeOrOffset,
  toHex,
  type UID,
} from '../../../packages/client/src/protocol/index.js';
import { connectTcp } from '../../../packages/client/src/rpc/index.js';
import { MYSQL_URL, POSTGRES_URL, uniqueName } from '../../helpers/services.js';

/** The SQL stores a cluster can share. */
export type SharedStore = 'postgres' | 'mysql';

/** A database created for one run; `drop()` removes it (idempotent, never rejects). */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onPostgres(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function onMysql(sql: string): Promise<void> {
  const conn = await mysql.createConnection(MYSQL_URL);
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/**
 * Create a database of its own (`gregor_scale_<unique>`) on `store`. Drop it only after every
 * gregord using it has stopped.
 */
export async function createScratchDatabase(store: SharedStore): Promise<ScratchDatabase> {
  const name = uniqueName('gregor_scale');
  const run = store === 'postgres' ? onPostgres : onMysql;
  await run(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: withDatabase(store === 'postgres' ? POSTGRES_URL : MYSQL_URL, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      const sql =
        store === 'postgres'
          ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`
          : `DROP DATABASE IF EXISTS ${name}`;
      await run(sql).catch((err: unknown) => console.log(`# could not drop ${name}: ${err}`));
    },
  };
}

/** `count` random 16-byte uids (unique to this run). */
export function runUIDs(count: number): UID[] {
  return Array.from({ length: count }, () => new Uint8Array(randomBytes(16)) as UID);
}

/** The mock-auth token of `uid` (gregord `--mock-auth`), with a session id of its own. */
export function mockTokenOf(uid: UID, sid?: string): string {
  return sid === undefined ? toHex(uid) : `${toHex(uid)}:${sid}`;
}

/** The mock-auth superuser token. */
export const SUPERUSER_TOKEN = 'superuser';

const RUN_TAG = randomBytes(8).toString('hex');

/** Message id number `n` of user `user` in this run: unique, and readable back with seqOf. */
export function seqID(user: number, n: number): MsgID {
  const tail = (user * 1_000_000 + n).toString(16).padStart(16, '0');
  return fromHex(`${RUN_TAG}${tail}`) as MsgID;
}

/** The label of a received message: `i<n>` for an in-band id from seqID, else the OOB system. */
export function labelOf(m: Message): string {
  const id = m.ibm?.stateUpdate?.md.msgID;
  if (id !== undefined) return `i${Number.parseInt(toHex(id).slice(16), 16) % 1_000_000}`;
  return m.oobm?.system ?? '?';
}

/** An in-band creation for `uid`, id seqID(user, n), optionally with remind times. */
export function numberedCreation(
  uid: UID,
  user: number,
  n: number,
  remindTimes: TimeOrOffset[] = [],
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: seqID(user, n), ctime: 0, deviceID: null, inBandMsgType: 1 },
        creation: {
          category: `scale.${n % 7}`,
          body: new TextEncoder().encode(`message ${n}`),
          dtime: { time: 0, offset: 0 },
          remindTimes,
        },
      },
    },
  };
}

/** An in-band dismissal for `uid`, id seqID(user, n), of the creations numbered `targets`. */
export function numberedDismissal(
  uid: UID,
  user: number,
  n: number,
  targets: readonly number[],
): Message {
  return {
    ibm: {
      stateUpdate: {
        md: { uid, msgID: seqID(user, n), ctime: 0, deviceID: null, inBandMsgType: 1 },
        dismissal: { msgIDs: targets.map((t) => seqID(user, t)), ranges: [] },
      },
    },
  };
}

/** An out-of-band message for `uid` with system `o<n>` (relayed, never stored). */
export function numberedOOB(uid: UID, n: number): Message {
  return { oobm: { uid, system: `o${n}`, body: new TextEncoder().encode(`oob ${n}`) } };
}

/** A Connector over several instances that says where it connected last. */
export interface RotatingConnector extends Connector {
  /** The port of the last successful connection (undefined before the first). */
  readonly port: number | undefined;
}

/**
 * A connector over the instances' TCP ports, as a device behind a load balancer: it starts at
 * `ports()[first]`, keeps to the instance that worked last, and on failure tries the others in
 * turn. Rejects with the last failure when none answers.
 */
export function rotatingConnector(ports: () => readonly number[], first = 0): RotatingConnector {
  let next = first;
  let port: number | undefined;
  return {
    get port() {
      return port;
    },
    async connect(signal) {
      const list = ports();
      let last: unknown = new Error('no instance to connect to');
      for (let i = 0; i < list.length && !signal.aborted; i++) {
        const at = (next + i) % list.length;
        try {
          const session = await connectTcp({
            host: '127.0.0.1',
            port: list[at]!,
            signal,
            timeoutMs: 2000,
          });
          next = at;
          port = list[at];
          return session;
        } catch (err) {
          last = err;
        }
      }
      throw last;
    },
  };
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Hex of bytes, for comparing hashes in assertions. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
