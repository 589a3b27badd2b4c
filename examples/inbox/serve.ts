/**
 * `npm run example:inbox`: the whole demo in one command. It starts gregord embedded in this
 * process (SQLite and a generated token secret in the data directory, WebSocket on loopback,
 * accepting only the page's origin), serves the page, and prints its address. Then run
 * `npm run example:inbox:backend` in another terminal to create notifications.
 *
 *     npm run example:inbox -- [--port 8470] [--gregord-port 8471] [--data-dir .tmp/inbox] [--snooze 15]
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { server } from 'gregor-server';
import {
  DEFAULT_DATA_DIR,
  DEMO_UID,
  mintSessionToken,
  tokenSecret,
  writeServeInfo,
} from './demo-user.js';
import { serveInboxPages } from './pages.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8470' },
    // A fixed port, so that the pages reconnect when this command is restarted.
    'gregord-port': { type: 'string', default: '8471' },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    snooze: { type: 'string', default: '15' },
  },
});
const dataDir = resolve(values['data-dir']);
const snoozeMs = Number(values.snooze) * 1000;
await mkdir(dataDir, { recursive: true });

let wsUrl = '';
let secret = '';
const pages = await serveInboxPages({
  port: Number(values.port),
  config: () => ({ url: wsUrl, uid: DEMO_UID, snoozeMs }),
  mintToken: () => mintSessionToken(DEMO_UID, secret),
});

// gregord with the same options as its command line: the flags by their long names.
const gregord = await server.startGregord(
  server.parseGregordConfig({
    flags: {
      dataDir,
      bindAddress: 'off',
      httpAddress: `127.0.0.1:${values['gregord-port']}`,
      wsAllowedOrigins: pages.origin,
      logLevel: 'warn',
    },
  }),
);
const http = gregord.addresses.http!;
wsUrl = `ws://${http.host}:${http.port}/rpc`;
secret = await tokenSecret(dataDir);
await writeServeInfo(dataDir, { url: wsUrl, page: pages.url });

console.log(`gregord: ${wsUrl} (data in ${dataDir})`);
console.log(`inbox:   ${pages.url}  (user ${DEMO_UID})`);
console.log('create notifications: npm run example:inbox:backend');
console.log('stop: Ctrl-C');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await pages.close();
  await gregord.close();
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
