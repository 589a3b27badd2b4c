// createServer: gregord's options as an object, through gregord's own parser and bootstrap. The
// defaults are gregord's, the messages name the object's options, the mock authenticator is
// refused off loopback exactly as on the command line, and the server it returns serves TCP and
// WebSocket clients with tokens it mints.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { isGregorError } from '../../packages/client/src/errors.js';
import { toHex } from '../../packages/client/src/protocol/index.js';
import {
  createServer,
  type EmbeddedServer,
  parseGregordConfig,
} from '../../packages/server/src/index.js';
import { creation, U1 } from '../unit/client/fixtures.js';
import { TestClient } from './helpers/test-client.js';

const PORT_0 = { tcp: '127.0.0.1:0', http: { host: '127.0.0.1', port: 0 } } as const;
const quiet = { logLevel: 'silent' } as const;

/** createServer's rejection with `options`, as a ConfigError message. */
async function refusal(options: Parameters<typeof createServer>[0]): Promise<string> {
  try {
    const server = await createServer(options);
    await server.close();
  } catch (err) {
    assert.ok(isGregorError(err, 'GREGOR_ERR_CONFIG_INVALID'), String(err));
    return err.message;
  }
  assert.fail('createServer accepted the options');
}

describe('createServer', () => {
  let dir: string;
  let server: EmbeddedServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-embed-'));
    server = await createServer({
      storage: `sqlite:${join(dir, 'gregor.db')}`,
      dataDir: dir,
      listen: PORT_0,
      broadcastTimeout: 5000,
      maxBodyBytes: '32KiB',
      ...quiet,
    });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the options as gregord's flags would, with gregord's defaults for the rest", async () => {
    const asFlags = parseGregordConfig({
      flags: {
        storage: `sqlite:${join(dir, 'gregor.db')}`,
        dataDir: dir,
        bindAddress: '127.0.0.1:0',
        httpAddress: '127.0.0.1:0',
        broadcastTimeout: '5s',
        maxBodyBytes: '32KiB',
        logLevel: 'silent',
      },
    });
    assert.deepEqual(server.config, asFlags);
    assert.equal(server.config.limits.maxBodyBytes, 32 * 1024);
    assert.equal(server.config.auth.mode, 'signed-token');
    // The embedded default's secret file, created as gregord creates it.
    assert.equal((await stat(join(dir, 'token-secret'))).mode & 0o777, 0o600);
  });

  it('gives the ports it bound, and serves TCP and WebSocket clients with the tokens it mints', async () => {
    const { tcp, http } = server.addresses;
    assert.ok(tcp !== undefined && tcp.port > 0 && http !== undefined && http.port > 0);
    assert.equal(server.urls.fmprpc, `fmprpc://127.0.0.1:${tcp.port}`);
    assert.equal(server.urls.ws, `ws://127.0.0.1:${http.port}/rpc`);

    const overTcp = await TestClient.tcp(tcp.port);
    const overWs = await TestClient.webSocket(server.urls.ws!);
    try {
      const token = server.mintToken(toHex(U1), { ttl: '1h', sid: 'embed' });
      const login = await overTcp.login(token);
      assert.equal(toHex(login.uid), toHex(U1));
      assert.equal(login.sid, 'embed');
      await overWs.login(server.mintToken(U1));
      await overTcp.call('consumeMessage', { m: creation(U1, 1) });
      const [echo] = await overWs.waitForBroadcasts(1);
      assert.equal(echo?.ibm?.stateUpdate?.creation?.category, 'cat');
    } finally {
      await overTcp.close();
      await overWs.close();
    }
    assert.match(await server.metrics(), /gregor_consumes_total\{kind="message",result="ok"\} 1/);
  });

  it('refuses the mock authenticator on a non-loopback listener, naming the option', async () => {
    const tcp = await refusal({ auth: 'mock', listen: { tcp: '0.0.0.0:0', http: null }, ...quiet });
    assert.match(tcp, /--mock-auth|auth: 'mock'/);
    assert.match(tcp, /listen\.tcp = "0\.0\.0\.0:0" is not a loopback address/);
    const http = await refusal({
      auth: { mock: true },
      listen: { tcp: null, http: { host: '192.0.2.1', port: 0 } },
      ...quiet,
    });
    assert.match(http, /listen\.http = "192\.0\.2\.1:0" is not a loopback address/);
  });

  it('runs the mock authenticator on loopback, and mints no token under it', async () => {
    const mock = await createServer({ storage: 'memory:', auth: 'mock', listen: PORT_0, ...quiet });
    try {
      assert.equal(mock.config.auth.mode, 'mock');
      const client = await TestClient.tcp(mock.addresses.tcp!.port);
      try {
        assert.equal(toHex((await client.login(toHex(U1))).uid), toHex(U1));
      } finally {
        await client.close();
      }
      assert.throws(() => mock.mintToken(U1), /mintToken needs signed tokens/);
    } finally {
      await mock.close();
    }
  });

  it('names each bad option as the object spells it, and refuses unknown ones', async () => {
    const bad = await refusal({
      storage: 'nowhere',
      maxBodyBytes: 'lots',
      broadcastTimeout: -1,
      listen: { tcp: 'nope' },
      ...quiet,
    });
    assert.match(bad, /^invalid createServer options/);
    assert.match(bad, /storage: expected memory:/);
    assert.match(bad, /maxBodyBytes: expected a size/);
    assert.match(bad, /broadcastTimeout: expected a duration/);
    assert.match(bad, /listen\.tcp: expected HOST:PORT/);
    assert.doesNotMatch(bad, /--/);
    assert.match(
      await refusal({ workers: 2 } as Parameters<typeof createServer>[0]),
      /unknown option workers/,
    );
    assert.match(
      await refusal({ auth: { tokenSecret: 'short' }, storage: 'memory:', listen: PORT_0 }),
      /auth\.tokenSecret: .*16 bytes/,
    );
    assert.match(
      await refusal({ auth: { authd: 'http://x' } as never, storage: 'memory:', listen: PORT_0 }),
      /auth\.authd: /,
    );
  });

  it('serves the HTTP API with apiKeys, at urls.api; refuses apiKeys without listen.http or too short', async () => {
    const key = 'embedded-api-key-0123456789';
    const apiServer = await createServer({
      storage: 'memory:',
      dataDir: dir,
      listen: PORT_0,
      auth: 'mock',
      apiKeys: [key],
      ...quiet,
    });
    try {
      const api = apiServer.urls.api;
      assert.equal(api, `http://127.0.0.1:${apiServer.addresses.http!.port}/api/v1`);
      const created = await fetch(`${api}/users/${toHex(U1)}/items`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ category: 'embedded', body: 'hi' }),
      });
      assert.equal(created.status, 201);
      assert.equal(await apiServer.reloadApiKeys(), 1, 'given keys stay as they are');
    } finally {
      await apiServer.close();
    }
    assert.equal(server.urls.api, undefined, 'no keys, no API');
    assert.match(
      await refusal({
        storage: 'memory:',
        dataDir: dir,
        listen: { tcp: '127.0.0.1:0', http: null },
        apiKeys: [key],
        ...quiet,
      }),
      /apiKeys: the HTTP API is served on listen\.http/,
    );
    assert.match(
      await refusal({
        storage: 'memory:',
        dataDir: dir,
        listen: PORT_0,
        apiKeys: ['short'],
        ...quiet,
      }),
      /at least 16 characters/,
    );
  });

  it('warns when the API keys file can be read by other users, and not when it is 0600', async () => {
    const warnings = async (mode: number): Promise<string[]> => {
      const file = join(dir, `keys-${mode.toString(8)}`);
      await writeFile(file, 'file-api-key-0123456789\n', { mode });
      await chmod(file, mode);
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
      const keyed = await createServer({
        storage: 'memory:',
        dataDir: dir,
        listen: PORT_0,
        auth: 'mock',
        apiKeysFile: file,
        logger,
      });
      await keyed.close();
      return lines.filter((line) => line.includes('API keys file'));
    };
    assert.equal((await warnings(0o644)).length, 1);
    assert.deepEqual(await warnings(0o600), []);
  });
});
