// A graceful stop that hangs ends at its hard deadline: gregord on PostgreSQL behind a loopback
// proxy that is frozen while a consume waits on it, stopped with SIGTERM and --shutdown-timeout 1s,
// exits with code 5 (the documented "forced" code) after about 6 s instead of waiting on the
// database. The bound is generous for a loaded machine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { serviceSkipReason } from '../helpers/services.js';
import { FreezableProxy } from './helpers/freezable-proxy.js';
import { allProcessesEnd, GregordProcess } from './helpers/gregord-process.js';
import { createScratchDatabase, mockTokenOf } from './helpers/scale-fixtures.js';
import { TestClient } from './helpers/test-client.js';
import { creation, U1 } from './helpers/test-server.js';

const EXIT_BOUND_MS = 20_000;

describe('gregord stop deadline', { skip: await serviceSkipReason('postgres') }, () => {
  it('exits with 5 once --shutdown-timeout plus 5 s have passed while its database hangs', async () => {
    const db = await createScratchDatabase('postgres');
    const direct = new URL(db.url);
    const proxy = await FreezableProxy.start(direct.hostname, Number(direct.port));
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const gregord = await GregordProcess.start({
      storage: viaProxy.toString(),
      http: false,
      args: ['--shutdown-timeout', '1s'],
    });
    const client = await TestClient.tcp(gregord.tcpPort);
    try {
      await client.login(mockTokenOf(U1));
      await client.call('consumeMessage', { m: creation(U1, 1) });
      proxy.freeze();
      // This consume waits on the frozen database, and with it the graceful stop.
      const stuck = client.call('consumeMessage', { m: creation(U1, 2) }).catch(() => undefined);
      await delay(300);
      gregord.child.kill('SIGTERM');
      assert.ok(await allProcessesEnd([gregord.child.pid!], EXIT_BOUND_MS), 'gregord still runs');
      assert.equal((await gregord.exited).code, 5, gregord.stderr);
      await gregord.waitForLog(/^shutdown did not finish in time; exiting$/);
      await stuck;
    } finally {
      await client.close().catch(() => undefined);
      await gregord.kill();
      await proxy.close();
      await db.drop();
    }
  });
});
