/**
 * Large reads on SQLite do not hold gregord's event loop or its memory: with one user holding
 * tens of thousands of items (better-sqlite3 is synchronous; one `state` of such a user used to
 * block every connection for most of a second, and 64 at once for 85 s and 5.5 GB), a bystander's
 * ping on another connection is answered promptly while 16 `state` calls of that user run, and
 * the process's peak memory stays bounded. gregord runs as a real child process, so its event
 * loop and its memory are its own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { METHODS, toHex } from '../../packages/client/src/protocol/index.js';
import {
  openEngineOn,
  openStoragePlace,
  type StoragePlace,
} from '../unit/storage/storage-places.js';
import { GregordProcess } from './helpers/gregord-process.js';
import { rawCalls, rawLogin } from './helpers/raw-peer.js';
import { TestClient } from './helpers/test-client.js';
import { creation, U1, U2 } from './helpers/test-server.js';

const ITEMS = 20_000;
const CONNECTIONS = 4;
const STATES_PER_CONNECTION = 4;
/**
 * Generous, for a loaded 2-core machine: each answer is still encoded in one synchronous step
 * (about a second per 20,000 items there); before, one ping waited for the whole run (37 s).
 */
const PING_BOUND_MS = 5000;
/** Generous: 16 states of this user used to take over 1 GiB at once. */
const RSS_GROWTH_BOUND_MIB = 600;
/** gregord's default --max-frame-bytes. */
const FRAME = 16 * 1024 * 1024;

/** A memory figure of `pid` from /proc, in MiB (VmRSS now, VmHWM the peak so far). */
function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return kib / 1024;
}

const stateArg = { uid: U1, deviceid: null, timeOrOffset: { time: 0, offset: 0 } };

describe('large reads on SQLite', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let place: StoragePlace;
  let gregord: GregordProcess;

  before(async () => {
    place = await openStoragePlace('sqlite');
    // One item stored by the engine, then copied under new msgIDs: seeding 20,000 real consumes
    // would take most of a minute on a loaded machine.
    const engine = await openEngineOn(place);
    await engine.consumeMessage(creation(U1, 1, 'app.notice', 'an ordinary small body'));
    await engine.close();
    await place.sql(
      `WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ${ITEMS})
       INSERT INTO gregor_items (uid, msgid, ctime, devid, category, body, dtime, dtime_offset, expire_at, dismissed)
       SELECT t.uid, CAST(printf('%016d', n.i) AS BLOB), t.ctime - n.i, t.devid, t.category, t.body,
              t.dtime, t.dtime_offset, t.expire_at, t.dismissed
       FROM n, gregor_items AS t`,
    );
    gregord = await GregordProcess.start({
      storage: place.url,
      http: false,
      // The point is the event loop, not the query deadline: a loaded machine must not turn a
      // slow read into a timeout here.
      args: [
        '--max-reads-per-user',
        String(CONNECTIONS * STATES_PER_CONNECTION),
        '--storage-query-timeout',
        '120s',
      ],
    });
  });

  after(async () => {
    await gregord?.stop();
    await place?.drop();
  });

  it('answers a bystander ping promptly and keeps memory bounded while 16 states run', async (t) => {
    const pid = gregord.child.pid!;
    const heavy = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => rawLogin(gregord.tcpPort, toHex(U1))),
    );
    const bystander = await TestClient.tcp(gregord.tcpPort);
    try {
      await bystander.login(toHex(U2));
      const rssBefore = memoryMiB(pid, 'VmRSS');
      let running = true;
      const spec = METHODS.state;
      const states = Promise.all(
        heavy.map((socket) =>
          rawCalls(socket, spec.name, spec.encodeArg(stateArg), STATES_PER_CONNECTION, FRAME),
        ),
      ).finally(() => {
        running = false;
      });
      const latencies: number[] = [];
      while (running) {
        const start = performance.now();
        assert.equal(await bystander.call('ping', undefined as never), 'pong');
        latencies.push(performance.now() - start);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const answers = (await states).flat();
      assert.equal(answers.length, CONNECTIONS * STATES_PER_CONNECTION);
      for (const answer of answers) {
        assert.equal(answer.isError, false);
        assert.ok(answer.bytes > ITEMS * 100, `a whole state: ${answer.bytes} bytes`);
      }
      const worst = Math.max(...latencies);
      const growth = memoryMiB(pid, 'VmHWM') - rssBefore;
      t.diagnostic(
        `${latencies.length} pings, slowest ${worst.toFixed(0)} ms; peak memory +${growth.toFixed(0)} MiB`,
      );
      assert.ok(worst < PING_BOUND_MS, `slowest ping ${worst.toFixed(0)} ms`);
      assert.ok(latencies.length >= 5, `pinged ${latencies.length} times while the states ran`);
      assert.ok(growth < RSS_GROWTH_BOUND_MIB, `peak memory grew by ${growth.toFixed(0)} MiB`);
    } finally {
      for (const socket of heavy) socket.destroy();
      await bystander.close();
    }
  });
});
