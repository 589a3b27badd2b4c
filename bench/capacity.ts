/**
 * Capacity model. Run (about 1–2 minutes, loopback only, everything it starts is stopped and
 * removed):  node --expose-gc --import tsx bench/capacity.ts   (or `npm run bench -- capacity`)
 *
 * Measures the per-unit costs (bench/capacity-measure.ts, plus the idle-connection heap of
 * bench/server-bench-heap.ts), prints them beside the stated assumptions, and prints the
 * processes / Redis shards / database nodes table of docs/capacity.md (bench/capacity-model.ts).
 * Environment: CAPACITY_CONNECTIONS (50,000, lowered to fit the open-file limit),
 * CAPACITY_USERS (50), CAPACITY_PHASE_MS (3000), CAPACITY_REDIS_UIDS (20,000), CAPACITY_ROWS (20,000).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  measureCpu,
  measurePostgresBytes,
  measureRedisPerSubscription,
  measureSqliteBytes,
} from './capacity-measure.js';
import { ASSUMED, type Measured, printCapacity } from './capacity-model.js';
import { measureIdleHeap } from './server-bench-heap.js';

const WANTED_CONNECTIONS = Number(process.env.CAPACITY_CONNECTIONS ?? 50_000);
const USERS = Number(process.env.CAPACITY_USERS ?? 50);
const PHASE_MS = Number(process.env.CAPACITY_PHASE_MS ?? 3000);
const REDIS_UIDS = Number(process.env.CAPACITY_REDIS_UIDS ?? 20_000);
const ROWS = Number(process.env.CAPACITY_ROWS ?? 20_000);

/** This process's soft open-file limit: each connection is one fd here and one in the client. */
function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s+/)[3]);
  return Number.isFinite(soft) ? soft : 1024;
}

// Leave 1,000 fds for everything else; round down to thousands.
const fdRoom = Math.floor((openFileLimit() - 1000) / 1000) * 1000;
const connections = Math.min(WANTED_CONNECTIONS, fdRoom);
const started = Date.now();
console.log(
  `capacity model: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), ` +
    `load ${readFileSync('/proc/loadavg', 'utf8').trim()}, ${new Date().toISOString()}`,
);
if (connections < WANTED_CONNECTIONS) {
  console.log(
    `idle connections: ${connections.toLocaleString('en-US')}, not ${WANTED_CONNECTIONS.toLocaleString('en-US')}: ` +
      `the open-file limit here is ${openFileLimit()} per process (raise ulimit -n to measure more)`,
  );
}

const heap = await measureIdleHeap(connections, connections / 2);
const cpu = await measureCpu(USERS, PHASE_MS);
const redisBytes = await measureRedisPerSubscription(REDIS_UIDS);
const sqlite = await measureSqliteBytes(ROWS, 100);
const postgres = await measurePostgresBytes(ROWS, 100);

const measured: Measured = {
  bytesPerConnection: heap.heapBytesPerConnection + heap.externalBytesPerConnection,
  heapConnections: connections,
  cpuUsPerDelivery: cpu.outOfBand.cpuUsPerDelivery,
  cpuUsPerStoredConsume: cpu.inBand.cpuUsPerConsume - cpu.outOfBand.cpuUsPerConsume,
  redisBytesPerSubscription: redisBytes,
  dbBytesPerItem: postgres.bytesPerItem,
  dbBytesPerMessage: postgres.bytesPerMessage,
};

const f = (x: number, digits = 0): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits });
console.log('\n### Measured here\n');
console.log('| per-unit cost | value | how |');
console.log('|---|---:|---|');
const measuredRows: [string, string, string][] = [
  [
    'heap + external per idle authenticated connection',
    `${f(measured.bytesPerConnection)} B`,
    `${f(connections)} connections, ${f(heap.users)} users × 2, one process ` +
      `(heap ${f(heap.heapBytesPerConnection)} B + external ${f(heap.externalBytesPerConnection)} B)`,
  ],
  [
    'gregord CPU per in-band consume',
    `${f(cpu.inBand.cpuUsPerConsume, 1)} µs`,
    `${USERS} users × 2 conns, closed loop, ${f(cpu.inBand.consumesPerSec)} consumes/s, SQLite in-process`,
  ],
  [
    'gregord CPU per out-of-band consume',
    `${f(cpu.outOfBand.cpuUsPerConsume, 1)} µs`,
    `same, ${f(cpu.outOfBand.consumesPerSec)} consumes/s, ${f(cpu.outOfBand.deliveriesPerSec)} deliveries/s`,
  ],
  [
    'gregord CPU per delivery',
    `${f(measured.cpuUsPerDelivery, 1)} µs`,
    'out-of-band CPU / deliveries (includes the consume)',
  ],
  [
    'gregord CPU to store a consume',
    `${f(measured.cpuUsPerStoredConsume, 1)} µs`,
    '(in-band − out-of-band) CPU per consume',
  ],
  [
    'Redis used_memory per subscribed uid',
    `${f(redisBytes)} B`,
    `${f(REDIS_UIDS)} uids through one RedisBus, private redis-server`,
  ],
  [
    'SQLite bytes per item / per logged message',
    `${f(sqlite.bytesPerItem)} / ${f(sqlite.bytesPerMessage)} B`,
    `dbstat after ${f(ROWS)} creations (200-byte body), tables + indexes`,
  ],
  [
    'PostgreSQL bytes per item / per logged message',
    `${f(postgres.bytesPerItem)} / ${f(postgres.bytesPerMessage)} B`,
    `pg_total_relation_size after ${f(ROWS)} creations (200-byte body)`,
  ],
];
for (const row of measuredRows) console.log(`| ${row.join(' | ')} |`);
if (cpu.inBand.errors + cpu.outOfBand.errors > 0) {
  console.log(
    `(consume errors: ${cpu.inBand.errors} in-band, ${cpu.outOfBand.errors} out-of-band)`,
  );
}

console.log('\n### Assumed (stated, not measured)\n');
for (const [key, value] of Object.entries(ASSUMED)) {
  const shown = key.endsWith('Bytes') ? `${f(value / 1024 ** 3)} GiB` : f(value, 2);
  console.log(`- ${key}: ${shown}`);
}

printCapacity(measured);
console.log(`\n(measured in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
