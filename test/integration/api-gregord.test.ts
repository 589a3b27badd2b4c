// The HTTP API for backends (docs/server-api.md) on real gregord processes. Two instances share a
// scratch PostgreSQL database and Redis (with a channel prefix of their own): an item and an
// out-of-band message a backend posts to instance A reach a device connected to instance B (a
// gregor-client logged in with a signed token), B reads the item A stored, and presence asked of A
// sees the device on B. Then one gregord re-reads its API keys file on SIGHUP: a rotation goes
// through two valid keys to the new one alone, and a file with a bad line keeps the keys in force.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import {
  connect,
  type Gregor,
  type GregorEventMap,
} from '../../packages/client/src/client/index.js';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { mintToken } from '../../packages/server/src/auth/index.js';
import type {
  CreatedJson,
  ItemsJson,
  PresenceJson,
  SyncJson,
} from '../../packages/server/src/server/api-schemas.js';
import { eventually } from '../helpers/eventually.js';
import { REDIS_URL, serviceSkipReason, uniqueName } from '../helpers/services.js';
import { ApiClient, newApiKey, writeApiKeys } from './helpers/api-client.js';
import { GregordProcess, PROCESS_STEP_TIMEOUT_MS, stopAll } from './helpers/gregord-process.js';
import { createScratchDatabase, runUIDs, type ScratchDatabase } from './helpers/scale-fixtures.js';

const SECRET = 'api-gregord-test-secret-0123456789';
const DELIVERY_WAIT_MS = 10_000;
const REDIS_SKIP = await serviceSkipReason('redis');
const CLUSTER_SKIP = REDIS_SKIP ?? (await serviceSkipReason('postgres'));

/** Resolves with the next `event` of `g` whose first argument passes `test` (bounded). */
function nextEvent<E extends 'item' | 'oob'>(
  g: Gregor,
  event: E,
  test: (arg: GregorEventMap[E][0]) => boolean,
): Promise<GregorEventMap[E][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${event} event within ${DELIVERY_WAIT_MS} ms`));
    }, DELIVERY_WAIT_MS);
    const off = g.on(event, (...args) => {
      if (!test(args[0])) return;
      clearTimeout(timer);
      off();
      resolve(args[0]);
    });
  });
}

describe('the HTTP API on two gregord processes sharing PostgreSQL and Redis', {
  skip: CLUSTER_SKIP,
}, () => {
  const key = newApiKey();
  let dir: string;
  let db: ScratchDatabase | undefined;
  let nodes: GregordProcess[] = [];
  let device: Gregor | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-api-cluster-'));
    await writeApiKeys(join(dir, 'api-keys'), [key]);
    db = await createScratchDatabase('postgres');
    nodes = await GregordProcess.startMany(
      2,
      {
        storage: db.url,
        redisUrl: REDIS_URL,
        tokenSecret: SECRET,
        args: [
          '--api-keys-file',
          join(dir, 'api-keys'),
          '--redis-channel-prefix',
          `${uniqueName('api')}:`,
        ],
      },
      'api-',
    );
  });
  after(async () => {
    await device?.close();
    await stopAll(nodes);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a device on B gets what a backend posts to A; A sees it connected; B reads what A stored', async () => {
    const [a, b] = nodes as [GregordProcess, GregordProcess];
    const uid = toHex(runUIDs(1)[0]!);
    device = await connect(`fmprpc://127.0.0.1:${b.tcpPort}`, {
      uid,
      token: mintToken({ uid, sid: 'phone' }, SECRET),
      reconnect: false,
    });

    const presence = await new ApiClient(a.httpPort!, key).call<z.infer<typeof PresenceJson>>(
      'GET',
      `/presence?uid=${uid}`,
    );
    assert.equal(presence.status, 200);
    assert.deepEqual(
      presence.body.users.map((u) => [u.uid, u.devices.length]),
      [[uid, 1]],
      'A sees the device connected to B',
    );

    const item = nextEvent(device, 'item', () => true);
    const created = await new ApiClient(a.httpPort!, key).call<z.infer<typeof CreatedJson>>(
      'POST',
      `/users/${uid}/items`,
      { category: 'app.notice', body: 'posted on A' },
    );
    assert.equal(created.status, 201);
    const received = await item;
    assert.equal(received.id, created.body.id);
    assert.equal(received.text(), 'posted on A');

    const oob = nextEvent(device, 'oob', (m) => m.system === 'app.typing');
    const relayed = await new ApiClient(a.httpPort!, key).call('POST', `/users/${uid}/oob`, {
      system: 'app.typing',
      body: 'alice',
    });
    assert.deepEqual(
      { status: relayed.status, body: relayed.body },
      { status: 202, body: { relayed: true } },
    );
    assert.equal((await oob).text(), 'alice');

    const onB = await new ApiClient(b.httpPort!, key).call<z.infer<typeof ItemsJson>>(
      'GET',
      `/users/${uid}/items`,
    );
    assert.deepEqual(
      onB.body.items.map((i) => [i.id, i.body, i.ctime]),
      [[created.body.id, 'posted on A', created.body.ctime]],
    );
    const syncOnA = await new ApiClient(a.httpPort!, key).call<z.infer<typeof SyncJson>>(
      'GET',
      `/users/${uid}/sync?since=0`,
    );
    assert.equal(syncOnA.body.hash, onB.body.hash, 'one state, whichever instance answers');
  });
});

describe('gregord re-reads its API keys file on SIGHUP', () => {
  const [k1, k2, k3] = [newApiKey(), newApiKey(), newApiKey()];
  let dir: string;
  let keysFile: string;
  let gregord: GregordProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-api-keys-'));
    keysFile = join(dir, 'api-keys');
    await writeApiKeys(keysFile, [k1]);
    gregord = await GregordProcess.start({
      storage: 'memory:',
      tokenSecret: SECRET,
      args: ['--api-keys-file', keysFile],
    });
  });
  after(async () => {
    await gregord?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The status a request with `key` gets. */
  async function statusWith(key: string): Promise<number> {
    const uid = '0123456789abcdef0123456789abcdef';
    return (await new ApiClient(gregord.httpPort!, key).call('GET', `/presence?uid=${uid}`)).status;
  }

  /** Send SIGHUP to gregord's pid; resolves with the log line of the reload it caused. */
  async function hangUp(logged: RegExp) {
    const before = gregord.logsMatching(logged).length;
    process.kill(gregord.child.pid!, 'SIGHUP');
    return eventually(() => gregord.logsMatching(logged)[before] ?? false, {
      timeoutMs: PROCESS_STEP_TIMEOUT_MS,
      intervalMs: 50,
      message: `gregord logs ${logged}`,
    });
  }

  it('rotates K1 to K2 through a file holding both; a bad file keeps the keys in force', async () => {
    assert.deepEqual([await statusWith(k1), await statusWith(k2)], [200, 401]);

    await writeApiKeys(keysFile, ['# rotating', k1, k2]);
    const both = await hangUp(/^SIGHUP: API keys re-read$/);
    assert.equal(both.keys, 2);
    assert.equal(both.pid, gregord.child.pid, 'the signalled process is gregord');
    assert.deepEqual([await statusWith(k1), await statusWith(k2)], [200, 200]);

    await writeApiKeys(keysFile, [k2]);
    assert.equal((await hangUp(/^SIGHUP: API keys re-read$/)).keys, 1);
    assert.deepEqual([await statusWith(k1), await statusWith(k2)], [401, 200]);

    await writeApiKeys(keysFile, [k3, 'too short']);
    const kept = await hangUp(/^SIGHUP: API keys kept as they were: /);
    assert.match(String(kept.msg), /api-keys: line 2: an API key is at least 16 characters/);
    assert.equal(kept.code, 'GREGOR_ERR_CONFIG_INVALID');
    assert.deepEqual([await statusWith(k2), await statusWith(k3)], [200, 401]);

    assert.equal(await gregord.stop(), 0, gregord.stderr);
  });
});
