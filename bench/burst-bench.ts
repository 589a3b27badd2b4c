/**
 * One user's burst against the same count spread over many users. Run (loopback only, about 40 s):
 *   npm run bench -- burst
 *   node --conditions=gregor-source --import tsx bench/burst-bench.ts [sqlite|postgres ...]
 *
 * An in-process GregorServer on a durable engine (SQLite in a temporary file, and PostgreSQL in a
 * schema of its own when it answers), one TCP connection logged in as the superuser. A phase sends
 * BURST consumeMessage calls at once (pipelined) and waits for every answer, either all for one
 * user or round-robin over USERS users; each phase uses fresh users. Phases alternate over ROUNDS
 * rounds after one unrecorded warm-up pair; prints the median consumes/s of each spread and the
 * ratio one user / many users. Environment: BENCH_BURST (900), BENCH_USERS (64), BENCH_ROUNDS (5).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { UID } from '../packages/client/src/protocol/index.js';
import type { StateMachine } from '../packages/client/src/state/index.js';
import { openSqlEngine } from '../packages/server/src/storage/index.js';
import { POSTGRES_URL, serviceSkipReason } from '../test/helpers/services.js';
import { creation, startServer } from '../test/integration/helpers/test-server.js';

const BURST = Number(process.env.BENCH_BURST ?? 900);
const USERS = Number(process.env.BENCH_USERS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Place {
  readonly name: string;
  open(): Promise<{ engine: StateMachine; drop(): Promise<void> }>;
}

const sqlite: Place = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-burst-'));
    const engine = await openSqlEngine(`sqlite:${join(dir, 'burst.db')}`);
    return {
      engine,
      async drop() {
        await engine.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Place = {
  name: 'postgres',
  async open() {
    const schema = `gregor_burst_${randomBytes(4).toString('hex')}`;
    const engine = await openSqlEngine(POSTGRES_URL, { schema });
    return {
      engine,
      async drop() {
        await engine.close();
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      },
    };
  },
};

const fresh = (): UID => new Uint8Array(randomBytes(16)) as UID;

async function benchPlace(place: Place): Promise<void> {
  const { engine, drop } = await place.open();
  const h = await startServer({ stateMachine: engine });
  try {
    const su = await h.superuser();
    let next = 1;
    /** Consumes/s of one burst spread round-robin over `users` fresh users, and CPU µs each. */
    const phase = async (users: number): Promise<{ rate: number; cpu: number }> => {
      const uids = Array.from({ length: users }, fresh);
      const cpu = process.cpuUsage();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          su.call('consumeMessage', {
            m: creation(uids[i % users]!, next++, 'burst', 'x'.repeat(64)),
          }),
        ),
      );
      const elapsed = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      return { rate: BURST / elapsed, cpu: (used.user + used.system) / BURST };
    };
    await phase(1);
    await phase(USERS);
    const one: { rate: number; cpu: number }[] = [];
    const many: { rate: number; cpu: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      one.push(await phase(1));
      many.push(await phase(USERS));
    }
    const m1 = median(one.map((p) => p.rate));
    const mn = median(many.map((p) => p.rate));
    const c1 = median(one.map((p) => p.cpu));
    const cn = median(many.map((p) => p.cpu));
    console.log(
      `${place.name.padEnd(9)} ${BURST} consumes: 1 user ${Math.round(m1)}/s (${Math.round(c1)} µs CPU each), ` +
        `${USERS} users ${Math.round(mn)}/s (${Math.round(cn)} µs), ratio ${(m1 / mn).toFixed(2)}`,
    );
  } finally {
    await h.close();
    await drop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const wanted = process.argv.slice(2);
for (const place of [sqlite, postgres]) {
  if (wanted.length > 0 && !wanted.includes(place.name)) continue;
  if (place === postgres) {
    const skip = await serviceSkipReason('postgres');
    if (skip !== undefined) {
      console.log(`postgres  skipped: ${skip}`);
      continue;
    }
  }
  await benchPlace(place);
}
