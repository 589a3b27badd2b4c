import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_LENGTH_PREFIX_BYTES } from '../../../packages/client/src/rpc/internal.js';
import { parseGregordConfig } from '../../../packages/server/src/daemon/config.js';
import { CONFIG_TABLE, type OptionKey } from '../../../packages/server/src/daemon/config-table.js';
import { parseStorageUrl } from '../../../packages/server/src/storage/index.js';
import { BAD_STORAGE_URLS, GOOD_STORAGE_URLS } from '../../helpers/storage-urls.js';

const CONFIG_INVALID = { code: 'GREGOR_ERR_CONFIG_INVALID' };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** The message of the ConfigError `input` must raise. */
function problemsOf(input: Parameters<typeof parseGregordConfig>[0]): string {
  let message = '';
  assert.throws(
    () => parseGregordConfig(input),
    (err: Error & { code?: string }) => {
      message = err.message;
      return err.code === CONFIG_INVALID.code;
    },
  );
  return message;
}

describe('parseGregordConfig: defaults', () => {
  it('gives the embedded default with no options at all', () => {
    const config = parseGregordConfig();
    assert.deepEqual(config.tcp, { host: '127.0.0.1', port: 9911, tls: null });
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 9912 });
    assert.deepEqual(config.storage, {
      kind: 'sqlite',
      url: 'sqlite:data/gregor.db',
      path: 'data/gregor.db',
    });
    assert.equal(config.redisUrl, null);
    assert.deepEqual(config.auth, {
      mode: 'signed-token',
      secret: null,
      secretFile: 'data/token-secret',
    });
    assert.equal(config.broadcastTimeoutMs, 10_000);
    assert.equal(config.limits.storageQueueSize, 10_000);
    assert.equal(config.limits.maxFrameBytes, 16 * 1024 * 1024);
    assert.equal(config.workers, 1);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.childMode, false);
    assert.equal(config.isEmbeddedDefault, true);
  });

  it('freezes the result all the way down', () => {
    const config = parseGregordConfig();
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.tcp));
    assert.ok(Object.isFrozen(config.limits));
    assert.ok(Object.isFrozen(config.auth));
    assert.throws(() => {
      (config.limits as { maxFrameBytes: number }).maxFrameBytes = 1;
    }, TypeError);
  });

  it('moves the default SQLite file and token secret with --data-dir', () => {
    const config = parseGregordConfig({ flags: { dataDir: '/var/lib/gregor' } });
    assert.equal(config.storage.url, 'sqlite:/var/lib/gregor/gregor.db');
    assert.deepEqual(config.auth, {
      mode: 'signed-token',
      secret: null,
      secretFile: '/var/lib/gregor/token-secret',
    });
  });

  it('is not the embedded default once a storage or a secret is chosen', () => {
    assert.equal(parseGregordConfig({ flags: { storage: 'memory:' } }).isEmbeddedDefault, false);
    assert.equal(
      parseGregordConfig({ env: { GREGOR_TOKEN_SECRET: 'x'.repeat(32) } }).isEmbeddedDefault,
      false,
    );
    assert.equal(
      parseGregordConfig({ env: { REDIS_URL: 'redis://127.0.0.1' } }).isEmbeddedDefault,
      false,
    );
  });

  it('never changes its input', () => {
    const flags = Object.freeze({ bindAddress: '127.0.0.1:0', debug: true as const });
    const env = Object.freeze({ HTTP_ADDRESS: 'off' });
    const config = parseGregordConfig({ flags, env });
    assert.deepEqual(flags, { bindAddress: '127.0.0.1:0', debug: true });
    assert.equal(config.http, null);
    assert.equal(config.logLevel, 'debug');
  });
});

describe('parseGregordConfig: precedence', () => {
  it('takes a flag over its environment variable, and the variable over the default', () => {
    const env = { BIND_ADDRESS: '127.0.0.1:1000', HTTP_ADDRESS: '127.0.0.1:2000' };
    const config = parseGregordConfig({ flags: { bindAddress: '127.0.0.1:3000' }, env });
    assert.equal(config.tcp?.port, 3000);
    assert.equal(config.http?.port, 2000);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(parseGregordConfig({ env: { BIND_ADDRESS: '' } }).tcp?.port, 9911);
  });

  it('reads MYSQL_DSN as a fallback for the storage, in URL or Go DSN form', () => {
    const go = parseGregordConfig({
      env: { MYSQL_DSN: 'root:pw@tcp(db:3306)/gregor?parseTime=true' },
    });
    assert.deepEqual(go.storage, {
      kind: 'mysql',
      url: 'mysql://root:pw@db:3306/gregor?parseTime=true',
    });
    const url = parseGregordConfig({ env: { MYSQL_DSN: 'mysql://root@127.0.0.1/test' } });
    assert.equal(url.storage.url, 'mysql://root@127.0.0.1/test');
    const both = parseGregordConfig({
      env: { MYSQL_DSN: 'mysql://a/b', GREGOR_STORAGE: 'memory:' },
    });
    assert.equal(both.storage.kind, 'memory');
    const flag = parseGregordConfig({
      flags: { mysqlDsn: 'mysql://a/b' },
      env: { GREGOR_STORAGE: 'memory:' },
    });
    assert.equal(flag.storage.kind, 'mysql');
  });

  it('reads DEBUG as the original did: any non-empty value but 0/false/no/off', () => {
    assert.equal(parseGregordConfig({ env: { DEBUG: '1' } }).logLevel, 'debug');
    assert.equal(parseGregordConfig({ env: { DEBUG: 'yes please' } }).logLevel, 'debug');
    assert.equal(parseGregordConfig({ env: { DEBUG: 'false' } }).logLevel, 'info');
    assert.equal(
      parseGregordConfig({ env: { DEBUG: '0', GREGOR_LOG_LEVEL: 'warn' } }).logLevel,
      'warn',
    );
  });
});

describe('parseGregordConfig: values', () => {
  it('gives each cluster on one Redis its own channel prefix, and refuses a blank or spaced one', () => {
    assert.equal(parseGregordConfig().redisChannelPrefix, 'gregor:');
    const env = { GREGOR_REDIS_CHANNEL_PREFIX: 'eu1:gregor:' };
    assert.equal(parseGregordConfig({ env }).redisChannelPrefix, 'eu1:gregor:');
    assert.match(
      problemsOf({ flags: { redisChannelPrefix: 'two words' } }),
      /--redis-channel-prefix.*printable characters without spaces/,
    );
  });

  it('reads durations with units', () => {
    const cases: [string, number][] = [
      ['10s', 10_000],
      ['200ms', 200],
      ['1h', 3_600_000],
      ['1m30s', 90_000],
      ['1.5s', 1500],
      ['1d', 86_400_000],
      ['1d12h', 129_600_000],
    ];
    for (const [text, ms] of cases) {
      assert.equal(
        parseGregordConfig({ flags: { broadcastTimeout: text } }).broadcastTimeoutMs,
        ms,
        text,
      );
    }
  });

  it('reads --retention in days and hours: off by default and with "off", at least 1h, past the timer limit', () => {
    assert.equal(parseGregordConfig().retentionMs, null);
    assert.equal(parseGregordConfig({ flags: { retention: '30d' } }).retentionMs, 30 * 86_400_000);
    assert.equal(parseGregordConfig({ env: { GREGOR_RETENTION: '12h' } }).retentionMs, 43_200_000);
    assert.equal(
      parseGregordConfig({ flags: { retention: 'off' }, env: { GREGOR_RETENTION: '30d' } })
        .retentionMs,
      null,
    );
    assert.equal(
      parseGregordConfig({ flags: { retention: '3650d' } }).retentionMs,
      3650 * 86_400_000,
    );
    assert.match(
      problemsOf({ flags: { retention: '30m' } }),
      /--retention: expected "off" or a retention of at least 1h/,
    );
    assert.match(problemsOf({ flags: { retention: '30' } }), /--retention: expected a duration/);
    // Other durations are timers: still at most what setTimeout can wait.
    assert.match(
      problemsOf({ flags: { broadcastTimeout: '30d' } }),
      /--broadcast-timeout: expected a whole number of ms/,
    );
  });

  it('reads the deadlines and connection limits, with their defaults', () => {
    const defaults = parseGregordConfig();
    assert.deepEqual(defaults.deadlines, { storageQueryMs: 10_000, frameReadMs: 30_000 });
    assert.equal(defaults.limits.maxConnectionsPerUser, 128);
    assert.equal(defaults.limits.maxConnectionsPerAddress, 1024);
    const given = parseGregordConfig({
      flags: { storageQueryTimeout: '2s', maxConnectionsPerUser: '4' },
      env: { GREGOR_FRAME_READ_TIMEOUT: '500ms', GREGOR_MAX_CONNECTIONS_PER_ADDRESS: '16' },
    });
    assert.deepEqual(given.deadlines, { storageQueryMs: 2000, frameReadMs: 500 });
    assert.equal(given.limits.maxConnectionsPerUser, 4);
    assert.equal(given.limits.maxConnectionsPerAddress, 16);
    assert.match(
      problemsOf({ flags: { maxConnectionsPerAddress: '0' } }),
      /--max-connections-per-address/,
    );
  });

  it('reads byte sizes with binary suffixes', () => {
    const config = parseGregordConfig({
      flags: { maxFrameBytes: '1MiB', maxBodyBytes: '65536', maxWriteBufferBytes: '2MiB' },
    });
    assert.equal(config.limits.maxFrameBytes, 1024 * 1024);
    assert.equal(config.limits.maxBodyBytes, 65_536);
  });

  it('reads addresses: IPv6 in brackets, an empty host as every interface, off', () => {
    assert.deepEqual(parseGregordConfig({ flags: { bindAddress: '[::1]:0' } }).tcp, {
      host: '::1',
      port: 0,
      tls: null,
    });
    assert.equal(parseGregordConfig({ flags: { bindAddress: ':9000' } }).tcp?.host, '0.0.0.0');
    assert.equal(parseGregordConfig({ flags: { bindAddress: 'off' } }).tcp, null);
  });

  it('reads each storage kind', () => {
    const kinds = {
      'memory:': 'memory',
      'sqlite:/tmp/x.db': 'sqlite',
      'postgres://u@h/d': 'postgres',
      'postgresql://h/d': 'postgres',
      'mysql://h/d': 'mysql',
    };
    for (const [text, kind] of Object.entries(kinds)) {
      assert.equal(parseGregordConfig({ flags: { storage: text } }).storage.kind, kind, text);
    }
  });

  it('reads the remote authd URI and its timings', () => {
    const config = parseGregordConfig({
      flags: {
        authServer: 'fmprpc+tls://authd.example:4000',
        superTokenRefreshInterval: '30m',
        authTimeout: '2s',
      },
    });
    assert.deepEqual(config.auth, {
      mode: 'remote',
      server: {
        uri: 'fmprpc+tls://authd.example:4000',
        host: 'authd.example',
        port: 4000,
        isTls: true,
      },
      superTokenRefreshIntervalMs: 1_800_000,
      timeoutMs: 2000,
      ca: null,
    });
  });

  describe('TLS material', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregord-config-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads PEM from a path, a file:// URL or inline text', () => {
      const path = join(dir, 'cert.pem');
      writeFileSync(path, PEM);
      const config = parseGregordConfig({ flags: { tlsCert: path, tlsKey: `file://${path}` } });
      assert.deepEqual(config.tcp?.tls, { cert: PEM, key: PEM });
      assert.equal(parseGregordConfig({ env: { TLS_CERT: PEM, TLS_KEY: PEM } }).tcp?.tls?.key, PEM);
    });

    it('names the option of a file that is missing or holds no PEM', () => {
      const empty = join(dir, 'empty.pem');
      writeFileSync(empty, 'nothing');
      const message = problemsOf({ flags: { tlsCert: join(dir, 'missing.pem'), tlsKey: empty } });
      assert.match(message, /--tls-cert: cannot read .*ENOENT/);
      assert.match(message, /--tls-key: .* holds no PEM block/);
    });
  });
});

/** A value each option refuses, by unit. */
const BAD_TEXT: Record<string, string> = {
  'HOST:PORT': 'localhost',
  'HOST:PORT,…': '127.0.0.1:7000,redis://h:7001',
  path: ' ',
  'path or PEM': '/nonexistent/gregord.pem',
  URL: 'nope',
  text: 'short',
  duration: '10',
  count: '0',
  bytes: '12XB',
  level: 'loud',
  prefix: 'two words',
  origins: 'app.example.com',
  password: 'pass\tword',
};

describe('parseGregordConfig: errors name the option', () => {
  const valued = CONFIG_TABLE.filter((row) => row.unit !== 'switch');

  for (const row of valued) {
    it(`names ${row.flag} when its flag is bad`, () => {
      const bad = BAD_TEXT[row.unit] as string;
      const message = problemsOf({ flags: { [row.key as OptionKey]: bad } });
      assert.match(message, new RegExp(`^invalid configuration: ${row.flag}: `));
    });
    if (row.env !== null) {
      it(`names ${row.env} when its variable is bad`, () => {
        const message = problemsOf({ env: { [row.env]: BAD_TEXT[row.unit] as string } });
        assert.match(message, new RegExp(`^invalid configuration: ${row.env} \\(${row.flag}\\): `));
      });
    }
  }

  it('lists every bad option at once, one per line', () => {
    const message = problemsOf({ flags: { workers: 'many', broadcastTimeout: 'soon' } });
    assert.match(message, /^invalid configuration:\n {2}--broadcast-timeout: .*\n {2}--workers: /);
  });

  it('says what was expected and what was given', () => {
    assert.match(
      problemsOf({ flags: { broadcastTimeout: '10' } }),
      /expected a duration such as 10s, 200ms, 1h.*got "10"/,
    );
  });

  it('takes every database URL the storage library takes, read the same way', () => {
    for (const [text, expected] of Object.entries(GOOD_STORAGE_URLS)) {
      const { storage } = parseGregordConfig({ flags: { storage: text } });
      assert.equal(storage.kind, expected.dialect, text);
      assert.equal(storage.url, expected.url, text);
    }
  });

  it('refuses the URLs the storage library refuses, with its message beside memory:', () => {
    for (const text of BAD_STORAGE_URLS) {
      let libraryMessage = '';
      assert.throws(
        () => parseStorageUrl(text),
        (err: Error) => {
          libraryMessage = err.message;
          return true;
        },
      );
      assert.ok(
        problemsOf({ flags: { storage: text } }).includes(
          `--storage: expected memory: or a database URL; ${libraryMessage}`,
        ),
        text,
      );
    }
  });

  it('hides the password of a storage URL in messages', () => {
    const message = problemsOf({ flags: { storage: 'oracle://user:hunter2@db/x' } });
    assert.doesNotMatch(message, /hunter2/);
  });
});

describe('parseGregordConfig: conflicts name every option involved', () => {
  const secret = 'x'.repeat(32);

  it('takes --tls-ca only for an fmprpc+tls:// authd, and hands its PEM to the authenticator', () => {
    const config = parseGregordConfig({
      flags: { authServer: 'fmprpc+tls://authd.internal:4000', tlsCa: PEM },
    });
    assert.equal(config.auth.mode === 'remote' ? config.auth.ca : undefined, PEM);
    assert.match(
      problemsOf({ flags: { authServer: 'fmprpc://authd.internal:4000', tlsCa: PEM } }),
      /--tls-ca is the CA of an fmprpc\+tls:\/\/ --auth-server/,
    );
    assert.match(problemsOf({ env: { TLS_CA: PEM } }), /TLS_CA \(--tls-ca\) is the CA/);
  });

  it('refuses more than one way to authenticate', () => {
    const message = problemsOf({
      flags: { mockAuth: true, authServer: 'fmprpc://127.0.0.1:1' },
      env: { GREGOR_TOKEN_SECRET: secret },
    });
    assert.match(
      message,
      /choose one way to authenticate.*GREGOR_TOKEN_SECRET \(--token-secret\), --auth-server, --mock-auth/,
    );
  });

  it('refuses --mock-auth on a non-loopback address, and allows it on loopback', () => {
    const message = problemsOf({ flags: { mockAuth: true, bindAddress: '0.0.0.0:9911' } });
    assert.match(
      message,
      /--mock-auth .*--bind-address = "0.0.0.0:9911" is not a loopback address/,
    );
    assert.match(problemsOf({ flags: { mockAuth: true, httpAddress: ':80' } }), /--http-address/);
    assert.equal(
      parseGregordConfig({
        flags: { mockAuth: true, bindAddress: 'localhost:1', httpAddress: '[::1]:2' },
      }).auth.mode,
      'mock',
    );
  });

  it('refuses a TLS certificate without its key, and TLS with the TCP listener off', () => {
    assert.match(
      problemsOf({ env: { TLS_CERT: PEM } }),
      /TLS_CERT \(--tls-cert\) needs --tls-key \(TLS_KEY\)/,
    );
    assert.match(problemsOf({ flags: { tlsKey: PEM } }), /--tls-key needs --tls-cert/);
    assert.match(
      problemsOf({ flags: { tlsKey: PEM, tlsCert: PEM, bindAddress: 'off' } }),
      /TLS applies to the TCP listener, but --bind-address = "off"/,
    );
  });

  it('refuses turning both listeners off', () => {
    assert.match(
      problemsOf({ flags: { bindAddress: 'off', httpAddress: 'off' } }),
      /nothing to listen on: --bind-address = "off" and --http-address = "off"/,
    );
  });

  it('refuses several workers without a shared storage or without Redis', () => {
    const message = problemsOf({ flags: { workers: '4', storage: 'memory:' } });
    assert.match(
      message,
      /--workers = "4" needs a storage the workers share, but --storage = "memory:"/,
    );
    assert.match(message, /--workers = "4" needs --redis-url/);
    const ok = parseGregordConfig({
      flags: { workers: '4', storage: 'postgres://h/d', redisUrl: 'redis://127.0.0.1' },
    });
    assert.equal(ok.workers, 4);
  });

  it('refuses --storage together with --mysql-dsn', () => {
    assert.match(
      problemsOf({ flags: { storage: 'memory:', mysqlDsn: 'mysql://h/d' } }),
      /--storage and --mysql-dsn both choose the storage/,
    );
  });

  it('refuses --debug with another --log-level', () => {
    assert.match(
      problemsOf({ flags: { debug: true, logLevel: 'warn' } }),
      /--debug asks for debug logs but --log-level = "warn"/,
    );
    assert.equal(
      parseGregordConfig({ flags: { debug: true, logLevel: 'debug' } }).logLevel,
      'debug',
    );
  });

  it('reads the quota and read bounds, and leaves a quota part at its default unset', () => {
    const defaults = parseGregordConfig({}).limits;
    assert.equal(defaults.maxItemsPerUser, undefined);
    assert.equal(defaults.maxBytesPerUser, undefined);
    assert.equal(defaults.maxReadsPerConnection, 4);
    assert.equal(defaults.maxReadsPerUser, 8);
    const given = parseGregordConfig({
      flags: { maxItemsPerUser: '500' },
      env: { GREGOR_MAX_BYTES_PER_USER: '1MiB', GREGOR_MAX_READS_PER_USER: '2' },
    }).limits;
    assert.equal(given.maxItemsPerUser, 500);
    assert.equal(given.maxBytesPerUser, 1024 * 1024);
    assert.equal(given.maxReadsPerUser, 2);
  });

  it('refuses a quota whose full state would not fit in a frame, naming every option', () => {
    assert.match(
      problemsOf({ flags: { maxItemsPerUser: '100000', maxBytesPerUser: '8MiB' } }),
      /--max-items-per-user = "100000" and --max-bytes-per-user = "8MiB" let a user's state grow past --max-frame-bytes \(default\) = "16MiB"/,
    );
    // A smaller frame alone is not a conflict: the default quota shrinks to fit it.
    assert.equal(
      parseGregordConfig({ flags: { maxFrameBytes: '1MiB' } }).limits.maxFrameBytes,
      1024 * 1024,
    );
  });

  it('refuses a write buffer smaller than a frame, and a body as large as a frame', () => {
    const message = problemsOf({
      flags: { maxFrameBytes: '1MiB', maxWriteBufferBytes: '1MiB', maxBodyBytes: '2MiB' },
    });
    assert.match(
      message,
      new RegExp(
        `--max-write-buffer-bytes = "1MiB" must be at least --max-frame-bytes = "1MiB" \\+ ${MAX_LENGTH_PREFIX_BYTES}`,
      ),
    );
    assert.match(
      message,
      /--max-body-bytes = "2MiB" must be smaller than --max-frame-bytes = "1MiB"/,
    );
  });
});

describe('parseGregordConfig: WebSocket origins and Redis credentials', () => {
  it('normalizes --ws-allowed-origins as browsers send Origin, and takes * as every origin', () => {
    const config = parseGregordConfig({
      flags: { wsAllowedOrigins: 'HTTPS://App.Example.com:443, http://localhost:5173 *' },
    });
    assert.deepEqual(config.wsAllowedOrigins, [
      'https://app.example.com',
      'http://localhost:5173',
      '*',
    ]);
    assert.match(
      problemsOf({ env: { GREGOR_WS_ALLOWED_ORIGINS: 'https://app.example.com/login' } }),
      /GREGOR_WS_ALLOWED_ORIGINS \(--ws-allowed-origins\): expected an origin .*no path/,
    );
  });

  it("allows any origin by default, and only the listener's own under --mock-auth", () => {
    assert.equal(parseGregordConfig().wsAllowedOrigins, null);
    assert.deepEqual(parseGregordConfig({ flags: { mockAuth: true } }).wsAllowedOrigins, []);
    const listed = parseGregordConfig({ flags: { mockAuth: true, wsAllowedOrigins: '*' } });
    assert.deepEqual(listed.wsAllowedOrigins, ['*']);
  });

  it('puts GREGOR_REDIS_PASSWORD into the URL (encoded) and refuses a second password', () => {
    const config = parseGregordConfig({
      flags: { redisUrl: 'redis://gregord@redis.internal:6379/2' },
      env: { GREGOR_REDIS_PASSWORD: 'p@ss/word' },
    });
    assert.equal(config.redisUrl, 'redis://gregord:p%40ss%2Fword@redis.internal:6379/2');
    const twice = problemsOf({
      flags: { redisUrl: 'redis://:first-secret@redis.internal:6379' },
      env: { GREGOR_REDIS_PASSWORD: 'second-secret' },
    });
    assert.match(twice, /already holds a password, and GREGOR_REDIS_PASSWORD .* gives another/);
    assert.doesNotMatch(twice, /first-secret|second-secret/);
    assert.match(
      problemsOf({ env: { GREGOR_REDIS_PASSWORD: 'pw' } }),
      /GREGOR_REDIS_PASSWORD \(--redis-password\) is the password of --redis-url \(REDIS_URL\) or --redis-cluster-nodes/,
    );
  });

  it('takes a Redis Cluster from --redis-cluster-nodes (or its variable), with GREGOR_REDIS_PASSWORD', () => {
    const config = parseGregordConfig({
      env: {
        GREGOR_REDIS_CLUSTER_NODES: 'redis-1.internal:7000, 10.0.0.2:7001 [::1]:7002',
        GREGOR_REDIS_PASSWORD: 'p@ss',
      },
    });
    assert.deepEqual(config.redisCluster, {
      nodes: ['redis-1.internal:7000', '10.0.0.2:7001', '[::1]:7002'],
      password: 'p@ss',
    });
    assert.equal(config.redisUrl, null);
    assert.equal(config.isEmbeddedDefault, false);
    assert.equal(parseGregordConfig().redisCluster, null);
    const ok = parseGregordConfig({
      flags: { workers: '2', storage: 'postgres://h/d', redisClusterNodes: '127.0.0.1:7000' },
    });
    assert.equal(ok.workers, 2);
  });

  it('refuses --redis-cluster-nodes together with --redis-url, and a bad node', () => {
    assert.match(
      problemsOf({
        flags: { redisUrl: 'redis://127.0.0.1:6379' },
        env: { GREGOR_REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
      }),
      /--redis-url and GREGOR_REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) both choose the Redis of the bus: give one/,
    );
    assert.match(
      problemsOf({ flags: { redisClusterNodes: '127.0.0.1:0' } }),
      /--redis-cluster-nodes: expected HOST:PORT of a cluster node \(port 1-65535\), got "127.0.0.1:0"/,
    );
  });

  it('takes --tls-ca for a rediss:// Redis, and not for a plain one', () => {
    const config = parseGregordConfig({
      flags: { redisUrl: 'rediss://redis.internal:6380', tlsCa: PEM },
    });
    assert.equal(config.redisTlsCa, PEM);
    assert.match(
      problemsOf({ flags: { redisUrl: 'redis://redis.internal:6379', tlsCa: PEM } }),
      /--tls-ca is the CA of an fmprpc\+tls:\/\/ --auth-server .* or a rediss:\/\/ --redis-url/,
    );
  });
});
