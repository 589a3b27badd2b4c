/**
 * Section 2 of the durable benchmark: one user's burst. CONFIG.burst in-band consumes are written
 * at once (pipelined) on one superuser connection to gregord, all for one user, or the same count
 * spread round-robin over CONFIG.burstUsers users (the baseline). Same connection, same pipelining,
 * same server limits: only how many users' queues the messages land in differs. Every burst uses
 * users no earlier one used; the rate is the count over the time until the last answer. Rounds
 * alternate; medians are reported. On SQLite and on PostgreSQL.
 */
import { METHODS, type UID } from '../packages/client/src/protocol/index.js';
import type { RpcSession } from '../packages/client/src/rpc/index.js';
import { CONFIG, type DurableContext } from './durable-context.js';
import { Goals, heading, int, markdownTable, median } from './durable-report.js';
import { takeSeq } from './server-bench-load.js';
import { freshUID, inBand } from './server-bench-peers.js';

const CONSUME = METHODS.consumeMessage;
const CALL_TIMEOUT_MS = 30_000;

/** Send `count` consumes round-robin over `users` fresh users at once; resolves with consumes/s. */
async function burst(session: RpcSession, count: number, users: number): Promise<number> {
  const uids: UID[] = Array.from({ length: users }, freshUID);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      session.call(CONSUME.name, CONSUME.encodeArg({ m: inBand(uids[i % users]!, takeSeq()) }), {
        timeoutMs: CALL_TIMEOUT_MS,
      }),
    ),
  );
  return (count * 1000) / (performance.now() - start);
}

export async function burstSection(ctx: DurableContext): Promise<void> {
  heading(
    `2. One user's burst: ${CONFIG.burst} pipelined consumes of one user vs the same spread over ${CONFIG.burstUsers} users, through gregord`,
  );
  const rows: unknown[][] = [];
  const goals = [];
  for (const store of ['sqlite', 'postgres'] as const) {
    const session = await ctx.rig.superuser(store);
    await burst(session, CONFIG.burst, 1); // warm-up
    await burst(session, CONFIG.burst, CONFIG.burstUsers);
    const one: number[] = [];
    const spread: number[] = [];
    for (let round = 0; round < CONFIG.rounds; round++) {
      one.push(await burst(session, CONFIG.burst, 1));
      spread.push(await burst(session, CONFIG.burst, CONFIG.burstUsers));
    }
    const name = store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    rows.push([
      name,
      int(median(one)),
      int(median(spread)),
      (median(one) / median(spread)).toFixed(2),
    ]);
    goals.push(
      ctx.goals.ratio(
        `one user's burst / spread over ${CONFIG.burstUsers} users, ${name}, consumes/s`,
        median(one),
        median(spread),
        0.8,
        '/s',
      ),
    );
  }
  console.log(
    markdownTable(
      ['storage', '1 user, consumes/s', `${CONFIG.burstUsers} users, consumes/s`, 'ratio'],
      rows,
    ),
  );
  Goals.print(goals);
}
