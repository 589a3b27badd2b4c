// Redis with a password, an ACL user and TLS (rediss://), against the real gregord process and
// private redis-servers: the right credentials give a ready bus, wrong or missing ones stop the
// start with one line (exit 3) naming the options to fix, and the password never shows in the
// output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { PrivateRedisServer } from '../unit/pubsub/private-redis-server.js';
import { CliProcess, httpPort, LOOPBACK_PORT_0 } from './helpers/cli-process.js';
import { httpGet } from './helpers/gregord-process.js';

const PASSWORD = 'default-user-pass';
const ACL_USER = 'gregord';
const ACL_PASSWORD = 'acl-user-pass';
const CREDENTIALS = [
  '--requirepass',
  PASSWORD,
  '--user',
  ACL_USER,
  'on',
  `>${ACL_PASSWORD}`,
  '~*',
  '&*',
  '+@all',
];

describe('gregord with an authenticated and a TLS Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gregord-redis-auth-'));
  const certificate = makeTestCertificate(dir);
  let plain: PrivateRedisServer;
  let tls: PrivateRedisServer | undefined;
  const commands: CliProcess[] = [];
  before(async () => {
    plain = await PrivateRedisServer.start(undefined, { args: CREDENTIALS });
    // A redis-server built without TLS refuses the --tls-* arguments and never starts.
    tls = await PrivateRedisServer.start(undefined, {
      args: ['--requirepass', PASSWORD],
      tls: { ...certificate, caFile: certificate.certFile },
    }).catch(() => undefined);
  });
  after(async () => {
    for (const p of commands) {
      p.kill();
      await p.exited;
    }
    await plain?.stop();
    await tls?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const gregord = (redisUrl: string, args: string[] = [], env: Record<string, string> = {}) => {
    const p = new CliProcess(
      'gregord.ts',
      ['--storage', 'memory:', '--redis-url', redisUrl, ...LOOPBACK_PORT_0, ...args],
      { env: { GREGOR_TOKEN_SECRET: 'x'.repeat(32), ...env } },
    );
    commands.push(p);
    return p;
  };
  /** The start succeeded and /readyz reports the bus connected; no password in the output. */
  const assertReady = async (p: CliProcess, secret: string): Promise<void> => {
    const ready = await httpGet(await httpPort(p), '/readyz');
    assert.equal(ready.status, 200, ready.body);
    assert.equal(JSON.parse(ready.body).bus, true);
    assert.ok(!(p.stdout + p.stderr).includes(secret), 'the password is not logged');
  };
  const assertRefused = async (p: CliProcess, line: RegExp, secret?: string): Promise<void> => {
    assert.equal(await p.exitCode(), 3, p.stderr);
    const lines = p.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, p.stderr);
    assert.match(lines[0] as string, line);
    if (secret !== undefined) assert.ok(!(p.stdout + p.stderr).includes(secret));
  };

  it('connects with the password in the URL, or an ACL user with GREGOR_REDIS_PASSWORD', async () => {
    const port = plain.port;
    const inUrl = gregord(`redis://:${PASSWORD}@127.0.0.1:${port}`);
    const acl = gregord(`redis://${ACL_USER}@127.0.0.1:${port}`, [], {
      GREGOR_REDIS_PASSWORD: ACL_PASSWORD,
    });
    await Promise.all([assertReady(inUrl, PASSWORD), assertReady(acl, ACL_PASSWORD)]);
  });

  it('a wrong or missing password stops the start: exit 3, one line naming the options', async () => {
    const port = plain.port;
    const wrong = gregord(`redis://${ACL_USER}@127.0.0.1:${port}`, [], {
      GREGOR_REDIS_PASSWORD: 'not-the-password',
    });
    const missing = gregord(`redis://127.0.0.1:${port}`);
    await Promise.all([
      assertRefused(
        wrong,
        /^gregord: redis redis:\/\/gregord:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS .*; check --redis-url \(REDIS_URL\) or --redis-password \(GREGOR_REDIS_PASSWORD\) \(exit 3\)$/,
        'not-the-password',
      ),
      assertRefused(missing, /: NOAUTH .*; check --redis-url \(REDIS_URL\) or --redis-password/),
    ]);
  });

  it('speaks TLS to rediss:// with --tls-ca, and refuses a server its CAs do not vouch for', async (t) => {
    if (tls === undefined) return t.skip('this redis-server was built without TLS');
    const url = `rediss://:${PASSWORD}@127.0.0.1:${tls.port}`;
    const trusted = gregord(url, ['--tls-ca', certificate.certFile]);
    const untrusted = gregord(url);
    await Promise.all([
      assertReady(trusted, PASSWORD),
      assertRefused(
        untrusted,
        /^gregord: redis rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*; check --redis-url \(REDIS_URL\) or --tls-ca \(TLS_CA\) \(exit 3\)$/,
        PASSWORD,
      ),
    ]);
  });
});
