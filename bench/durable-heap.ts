/**
 * Section 6 of the durable benchmark: heap per idle authenticated connection with
 * CONFIG.idleConnections connections (one user each) in one gregord process, beside the bare
 * forwarder holding as many (server-bench-heap.ts).
 *
 * Over TCP, the server and the client process each hold a socket, so a file, per connection; the
 * open-file limit is raised first where this user may. Where it cannot be raised enough (a
 * container without CAP_SYS_RESOURCE keeps its hard limit), TCP is measured at the largest count
 * that fits, and gregord is also measured over in-process transport pairs at that count and at
 * the full one: the difference is how much its cost per connection grows between the two, which
 * is added to the TCP figure to estimate the full count. The table says which it is.
 * Each measurement runs in a fresh process (idle-heap-run.ts).
 */
import { CONFIG, type DurableContext } from './durable-context.js';
import { Goals, heading, int, markdownTable, times } from './durable-report.js';
import { raiseOpenFileLimit } from './file-limit.js';
import { isolatedHeap } from './idle-heap-run.js';
import { type HeapResult, takeSourceAddresses } from './server-bench-heap.js';

const GOAL_KIB = 10;
/** Files a process needs besides the connections (modules, pipes, the listener, …). */
const SPARE_FILES = 1000;

const kib = (bytes: number) => (bytes / 1024).toFixed(2);

export async function heapSection(ctx: DurableContext): Promise<void> {
  const wanted = CONFIG.idleConnections;
  heading(`6. Heap per idle authenticated connection, ${int(wanted)} connections in one process`);
  const { limit, note } = raiseOpenFileLimit(wanted + SPARE_FILES);
  const overTcp = Math.min(wanted, limit - SPARE_FILES);
  const overTcpRun = (server: 'gregord' | 'forwarder') =>
    isolatedHeap({
      transport: 'tcp',
      server,
      connections: overTcp,
      users: overTcp,
      firstAddress: takeSourceAddresses(overTcp),
    });
  const gregord = await overTcpRun('gregord');
  const bare = await overTcpRun('forwarder');
  const rows: [string, HeapResult][] = [
    ['TCP', gregord],
    ['TCP', bare],
  ];
  let figure = gregord.heapBytesPerConnection;
  let how = `over TCP at ${int(overTcp)}`;
  if (overTcp < wanted) {
    console.log(
      `The open-file limit is ${int(limit)}${note === undefined ? '' : ` (${note})`}: TCP fits ` +
        `${int(overTcp)} connections in one process; ${int(wanted)} are measured over in-process pairs.\n`,
    );
    const overPairs = (connections: number) =>
      isolatedHeap({ transport: 'pairs', server: 'gregord', connections, users: connections });
    const few = await overPairs(overTcp);
    const many = await overPairs(wanted);
    rows.push(['in-process pairs', few], ['in-process pairs', many]);
    figure += many.heapBytesPerConnection - few.heapBytesPerConnection;
    how = `estimated: TCP at ${int(overTcp)} + growth from ${int(overTcp)} to ${int(wanted)} over pairs`;
  }
  console.log(
    markdownTable(
      ['server', 'transport', 'connections', 'heap KiB/conn', 'external KiB/conn'],
      rows.map(([transport, h]) => [
        h.server,
        transport,
        int(h.connections),
        kib(h.heapBytesPerConnection),
        kib(h.externalBytesPerConnection),
      ]),
    ),
  );
  Goals.print([
    ctx.goals.add({
      measure: `gregord heap per idle connection at ${int(wanted)} (${how}; baseline: bare forwarder over TCP at ${int(overTcp)})`,
      figure: `${kib(figure)} KiB`,
      baseline: `${kib(bare.heapBytesPerConnection)} KiB`,
      ratio: times(figure / bare.heapBytesPerConnection),
      goal: `< ${GOAL_KIB} KiB`,
      met: figure < GOAL_KIB * 1024,
    }),
  ]);
}
