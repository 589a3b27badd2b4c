/**
 * HTTP API benchmark. Run (about 50 s, loopback only):
 *   node --import tsx bench/api-bench.ts
 *
 * One real `gregord` child (the embedded default: SQLite under a temp --data-dir, in-process bus,
 * --mock-auth, an --api-keys-file) and, in a second child, a bare `node:http` server that parses
 * the JSON body and answers 201 `{}` (bench/api-bench-bare-http.ts): the HTTP ceiling. Measured in
 * the same run, closed loop, with IN_FLIGHT requests kept in flight for a fixed phase:
 * - `POST /api/v1/users/{uid}/items` of a new item (200-byte text body) over keep-alive HTTP/1.1,
 *   one connection per request in flight, spread over USERS users, and all on one user;
 * - `consumeMessage` of the same item (creationMessage, as the route builds it) over framed
 *   msgpack-rpc, one TCP connection logged in as the superuser, the same two spreads;
 * - the same POST, path, headers and body to the bare server.
 * No device is connected, so both gregord paths store, publish and broadcast to nobody alike.
 * Prints requests/s, p50/p99 latency, the ratios to the bare server and to consumeMessage, and
 * the CPU each server process used per request. Workloads alternate over ROUNDS rounds (an
 * unrecorded pass warms every one first); each phase uses users no earlier phase used.
 * Environment: BENCH_PHASE_MS (1500), BENCH_ROUNDS (3), BENCH_USERS (16).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { creationMessage } from '../packages/client/src/client/item-messages.js';
import { METHODS, toHex, type UID } from '../packages/client/src/protocol/index.js';
import { connectTcp, type RpcSession } from '../packages/client/src/rpc/index.js';
import { MOCK_SUPERUSER_TOKEN } from '../packages/server/src/auth/index.js';
import { GregordProcess } from '../test/integration/helpers/gregord-process.js';
import { type ChildServer, startChildServer } from './child-server.js';
import { cpuSecondsOf } from './process-cpu.js';
import { percentile } from './server-bench-load.js';
import { freshUID } from './server-bench-peers.js';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const USERS = Number(process.env.BENCH_USERS ?? 16);
const IN_FLIGHT = [1, 32] as const;
const WARMUP_MS = 300;
/** A request not answered by then counts as an error; the bench never waits longer. */
const REQUEST_TIMEOUT_MS = 10_000;

const API_KEY = `api-bench-${randomBytes(12).toString('hex')}`;
const ITEM = { category: 'bench', body: 'b'.repeat(200) };
const ITEM_JSON = Buffer.from(JSON.stringify(ITEM));
const CONSUME = METHODS.consumeMessage;

/** Sends one request to `uid` and resolves once it succeeded; throws on any failure. */
type Send = (uid: UID) => Promise<void>;

/** One workload: how to send, and over how many users. */
interface Workload {
  readonly name: string;
  /** The server process whose CPU is read. */
  readonly pid: number;
  readonly users: number;
  /** Open what sending needs for `inFlight` requests at a time; `close` releases it. */
  open(inFlight: number): Promise<{ send: Send; close(): Promise<void> | void }>;
}

/** What a workload did in one phase. */
interface Phase {
  completed: number;
  errors: number;
  elapsedSec: number;
  serverCpuSec: number;
  latenciesMs: number[];
}

/** Keep `inFlight` sends going for `durationMs`, round-robin over fresh users. */
async function runPhase(workload: Workload, inFlight: number, durationMs: number): Promise<Phase> {
  const uids = Array.from({ length: workload.users }, freshUID);
  const { send, close } = await workload.open(inFlight);
  const phase: Phase = { completed: 0, errors: 0, elapsedSec: 0, serverCpuSec: 0, latenciesMs: [] };
  let turn = 0;
  const cpuBefore = cpuSecondsOf(workload.pid);
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const sentAt = performance.now();
      try {
        await send(uids[turn++ % uids.length]!);
        phase.latenciesMs.push(performance.now() - sentAt);
        phase.completed++;
      } catch {
        phase.errors++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
    phase.elapsedSec = (performance.now() - start) / 1000;
    phase.serverCpuSec = cpuSecondsOf(workload.pid) - cpuBefore;
    return phase;
  } finally {
    await close();
  }
}

/** POST `body` to 127.0.0.1:`port` over `agent`; resolves with the status once the answer is read. */
function post(agent: Agent, port: number, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`POST ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The item POST to a server on `port`, over one keep-alive connection per request in flight. */
function itemPosts(name: string, pid: number, port: number, users: number): Workload {
  return {
    name,
    pid,
    users,
    async open(inFlight) {
      const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
      return {
        send: async (uid) => {
          const status = await post(agent, port, `/api/v1/users/${toHex(uid)}/items`, ITEM_JSON);
          if (status !== 201) throw new Error(`POST answered ${status}`);
        },
        close: () => agent.destroy(),
      };
    },
  };
}

/** consumeMessage of the item, over one superuser msgpack-rpc connection to gregord. */
function consumes(name: string, gregord: GregordProcess, users: number): Workload {
  return {
    name,
    pid: gregord.child.pid!,
    users,
    async open() {
      const session: RpcSession = await connectTcp({ port: gregord.tcpPort });
      await session.call(METHODS.authenticateSessionToken.name, { session: MOCK_SUPERUSER_TOKEN });
      return {
        send: async (uid) => {
          await session.call(CONSUME.name, CONSUME.encodeArg({ m: creationMessage(uid, ITEM) }), {
            timeoutMs: REQUEST_TIMEOUT_MS,
          });
        },
        close: async () => {
          session.close();
          await session.closed();
        },
      };
    },
  };
}

/** The figures of every (workload, in-flight) over all rounds. */
class Tally {
  readonly #phases = new Map<string, Phase[]>();

  add(workload: Workload, inFlight: number, phase: Phase): void {
    const key = `${workload.name}|${inFlight}`;
    this.#phases.set(key, [...(this.#phases.get(key) ?? []), phase]);
  }

  /** Requests/s, latency percentiles, errors and server CPU per request, all rounds pooled. */
  figures(workload: Workload, inFlight: number) {
    const phases = this.#phases.get(`${workload.name}|${inFlight}`) ?? [];
    const sum = (f: (p: Phase) => number) => phases.reduce((total, p) => total + f(p), 0);
    const completed = sum((p) => p.completed);
    const sorted = phases.flatMap((p) => p.latenciesMs).sort((x, y) => x - y);
    return {
      perSec: completed / sum((p) => p.elapsedSec),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      errors: sum((p) => p.errors),
      cpuUsPerRequest: (1e6 * sum((p) => p.serverCpuSec)) / completed,
    };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'gregor-api-bench-'));
const keysFile = join(dir, 'api-keys');
writeFileSync(keysFile, `# the API benchmark's one key\n${API_KEY}\n`);
let gregord: GregordProcess | undefined;
let bare: ChildServer | undefined;
try {
  gregord = await GregordProcess.start({
    name: 'gregord',
    args: ['--data-dir', join(dir, 'data'), '--api-keys-file', keysFile],
  });
  bare = await startChildServer(new URL('./api-bench-bare-http.ts', import.meta.url));
  const httpPort = gregord.httpPort!;
  const gregordPid = gregord.child.pid!;
  const manyUsers = `${USERS} users`;
  const workloads: Workload[] = [
    itemPosts('bare node:http', bare.pid, bare.port, USERS),
    itemPosts(`HTTP API, ${manyUsers}`, gregordPid, httpPort, USERS),
    itemPosts('HTTP API, 1 user', gregordPid, httpPort, 1),
    consumes(`consumeMessage, ${manyUsers}`, gregord, USERS),
    consumes('consumeMessage, 1 user', gregord, 1),
  ];
  for (const workload of workloads) {
    for (const inFlight of IN_FLIGHT) await runPhase(workload, inFlight, WARMUP_MS);
  }
  const tally = new Tally();
  for (let round = 0; round < ROUNDS; round++) {
    for (const inFlight of IN_FLIGHT) {
      for (const workload of workloads) {
        tally.add(workload, inFlight, await runPhase(workload, inFlight, PHASE_MS));
      }
    }
  }

  const byName = (name: string) => workloads.find((w) => w.name === name)!;
  const bareLoad = byName('bare node:http');
  const rpcOf = (w: Workload) => byName(`consumeMessage, ${w.users === 1 ? '1 user' : manyUsers}`);
  const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
  console.log(
    `\n${PHASE_MS} ms phases, ${ROUNDS} alternating rounds pooled, item body ${ITEM.body.length} B ` +
      `(request ${ITEM_JSON.length} B); load ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`,
  );
  console.log(
    '| workload | in flight | requests/s | p50 ms | p99 ms | / bare HTTP | / consumeMessage | server CPU µs/req | errors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const inFlight of IN_FLIGHT) {
    const bareRate = tally.figures(bareLoad, inFlight).perSec;
    for (const workload of workloads) {
      const f = tally.figures(workload, inFlight);
      const rpcRate = tally.figures(rpcOf(workload), inFlight).perSec;
      const cells = [
        workload.name,
        inFlight,
        Math.round(f.perSec).toLocaleString('en-US'),
        fixed(f.p50Ms, 2),
        fixed(f.p99Ms, 2),
        fixed(f.perSec / bareRate, 2),
        fixed(f.perSec / rpcRate, 2),
        Math.round(f.cpuUsPerRequest),
        f.errors,
      ];
      console.log(`| ${cells.join(' | ')} |`);
    }
  }
  console.log(
    `\n/ consumeMessage compares with the consumeMessage row of the same users (${manyUsers} for the bare server).`,
  );
} finally {
  await gregord?.stop();
  await bare?.stop();
  rmSync(dir, { recursive: true, force: true });
}
