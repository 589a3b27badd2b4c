/**
 * Child process of durability.test.ts: consume `count` creations at once through a fresh engine,
 * print "committed" once every consume has resolved, then wait to be killed with SIGKILL.
 */
import { openSqlEngine } from '../../../packages/server/src/storage/index.js';
import { C, M } from './messages.js';

const [url, optionsJson, count] = process.argv.slice(2);
const engine = await openSqlEngine(url!, JSON.parse(optionsJson!));
await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => engine.consumeMessage(C(M(300 + i)))),
);
process.stdout.write('committed\n');
setInterval(() => {}, 60_000);
