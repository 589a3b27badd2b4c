// Wire compatibility with Keybase's own old JS implementation, framed-msgpack-rpc 1.1.13, as a peer
// in both directions. Calls only: its notify is broken and it misreads int64 `d3` values.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { RemoteError } from '../../packages/client/src/errors.js';
import {
  connectTcp,
  listenTcp,
  type RpcListener,
  type RpcSession,
} from '../../packages/client/src/rpc/index.js';

type Callback = (err: unknown, result?: unknown) => void;

interface LegacyResponse {
  result(value: unknown): void;
  error(err: unknown): void;
}

interface LegacyTransport {
  connect(cb: (err: unknown) => void): void;
  close(): void;
}

interface LegacyModule {
  Transport: new (opts: { host: string; port: number; connect_timeout: number }) => LegacyTransport;
  Client: new (
    transport: LegacyTransport,
    program: string,
  ) => { invoke(method: string, args: unknown, cb: Callback): void };
  Server: new (opts: {
    host: string;
    port: number;
    programs: Record<string, Record<string, (arg: unknown, res: LegacyResponse) => void>>;
  }) => {
    listen(cb: (err: unknown) => void): void;
    close(cb: () => void): void;
    _net_server: { address(): { port: number } };
  };
  log: { set_default_level(level: number): void; levels: { TOP: number } };
}

const legacy = createRequire(import.meta.url)('framed-msgpack-rpc') as LegacyModule;
legacy.log.set_default_level(legacy.log.levels.TOP);

function invoke(client: InstanceType<LegacyModule['Client']>, method: string, args: unknown) {
  return new Promise<{ err: unknown; result: unknown }>((resolve) => {
    client.invoke(method, args, (err, result) => resolve({ err, result }));
  });
}

describe('framed-msgpack-rpc 1.1.13 client calling our server', () => {
  let listener: RpcListener;
  let transport: LegacyTransport;
  let client: InstanceType<LegacyModule['Client']>;

  before(async () => {
    listener = await listenTcp({ port: 0 }, (session) => {
      session.handle('gregor.1.incoming.ping', () => 'pong');
      session.handle('gregor.1.incoming.echo', (arg) => arg);
    });
    transport = new legacy.Transport({
      host: '127.0.0.1',
      port: listener.address.port,
      // Its connect timer is never cleared and would hold the process for the default 10 s.
      connect_timeout: 1500,
    });
    await new Promise<void>((resolve, reject) =>
      transport.connect((err) => (err ? reject(err) : resolve())),
    );
    client = new legacy.Client(transport, 'gregor.1.incoming');
  });

  after(async () => {
    transport.close();
    await listener.close();
  });

  it('gets "pong" for ping with args [{}]', async () => {
    assert.deepEqual(await invoke(client, 'ping', [{}]), { err: null, result: 'pong' });
  });

  it('gets strings, integers and bytes back intact', async () => {
    const arg = { s: 'héllo', n: 300, big: 2 ** 40, bytes: Buffer.from([0, 1, 255]) };
    const { err, result } = await invoke(client, 'echo', [arg]);
    assert.equal(err, null);
    const got = result as typeof arg;
    assert.equal(got.s, 'héllo');
    assert.equal(got.n, 300);
    assert.equal(got.big, 2 ** 40);
    assert.deepEqual([...got.bytes], [0, 1, 255]);
  });

  it('gets a keybase1 Status map for an unknown method, and the connection still works', async () => {
    const { err } = await invoke(client, 'nope', [{}]);
    const status = err as { code: number; desc: string; name: string };
    assert.equal(status.code, 218);
    assert.equal(status.name, 'GENERIC');
    assert.equal(status.desc, "method 'nope' not found in protocol 'gregor.1.incoming'");
    assert.deepEqual(await invoke(client, 'ping', [{}]), { err: null, result: 'pong' });
  });
});

describe('our client calling a framed-msgpack-rpc 1.1.13 server', () => {
  let server: InstanceType<LegacyModule['Server']>;
  let session: RpcSession;

  before(async () => {
    server = new legacy.Server({
      host: '127.0.0.1',
      port: 0,
      programs: {
        'gregor.1.incoming': {
          // The old library hands its handler the whole args array.
          ping: (_args, res) => res.result('pong'),
          echo: (args, res) => res.result((args as unknown[])[0]),
          fail: (_args, res) => res.error('boom'),
        },
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.listen((err) => (err ? reject(err) : resolve())),
    );
    session = await connectTcp({ port: server._net_server.address().port });
  });

  after(async () => {
    session.close();
    await new Promise<void>((resolve) => server.close(resolve));
  });

  it('gets "pong" for ping', async () => {
    assert.equal(await session.call('gregor.1.incoming.ping', {}), 'pong');
  });

  it('gets its arguments back, including bytes', async () => {
    const got = (await session.call('gregor.1.incoming.echo', {
      s: 'x',
      bytes: Uint8Array.of(9, 8, 7),
    })) as { s: string; bytes: Uint8Array };
    assert.equal(got.s, 'x');
    assert.deepEqual([...got.bytes], [9, 8, 7]);
  });

  it('reads its string errors as RemoteError', async () => {
    await assert.rejects(
      session.call('gregor.1.incoming.fail', {}),
      (err: Error) => err instanceof RemoteError && err.message === 'boom',
    );
    await assert.rejects(
      session.call('gregor.1.incoming.nope', {}),
      (err: Error) => err instanceof RemoteError && err.message.includes('nope'),
    );
  });

  it('keeps several calls in flight and matches each answer', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => session.call('gregor.1.incoming.echo', n)),
    );
    assert.deepEqual(results, [1, 2, 3, 4, 5]);
  });
});
