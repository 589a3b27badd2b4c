// Wire-format cases 67–69 over a real TCP socket, byte for byte (docs/protocol.md, "Messages").
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  decodeMsgpack,
  encodeCanonical,
  fromHex,
  toHex,
} from '../../packages/client/src/protocol/index.js';
import {
  connectTcp,
  encodeFrame,
  FrameDecoder,
  listenTcp,
  type RpcListener,
  type RpcSession,
} from '../../packages/client/src/rpc/internal.js';

const PING_CALL = '1c940001b6677265676f722e312e696e636f6d696e672e70696e679180';
const PONG_RESPONSE = '09940101c0a4706f6e67';

/** A raw socket that collects every byte the server sends. */
class RawClient {
  readonly socket: Socket;
  #bytes: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #isClosed = false;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      this.#bytes = Buffer.concat([this.#bytes, chunk]);
      this.#wake?.();
    });
    this.socket.on('close', () => {
      this.#isClosed = true;
      this.#wake?.();
    });
  }

  send(hex: string): void {
    this.socket.write(fromHex(hex));
  }

  /** Wait until `n` bytes have arrived in all, then return them as hex. */
  async read(n: number): Promise<string> {
    await this.#until(() => this.#bytes.length >= n);
    return toHex(this.#bytes.subarray(0, n));
  }

  /** Wait until `n` whole messages have arrived, then return them decoded. */
  async messages(n: number): Promise<unknown[]> {
    const decoded = (): unknown[] => {
      const decoder = new FrameDecoder(1 << 20);
      decoder.push(this.#bytes);
      const out: unknown[] = [];
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) out.push(decodeMsgpack(f));
      return out;
    };
    await this.#until(() => decoded().length >= n);
    return decoded();
  }

  async #until(isDone: () => boolean): Promise<void> {
    while (!isDone()) {
      if (this.#isClosed) throw new Error(`closed after ${this.#bytes.length} bytes`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async waitClosed(): Promise<void> {
    while (!this.#isClosed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('framed msgpack-rpc on the wire (TCP)', () => {
  let listener: RpcListener;
  before(async () => {
    listener = await listenTcp({ port: 0 }, (session) => {
      session.handle('gregor.1.incoming.ping', () => 'pong');
    });
  });
  after(() => listener.close());

  it('answers the ping frame with exactly 09940101c0a4706f6e67 (case 67)', async () => {
    const client = new RawClient(listener.address.port);
    client.send(PING_CALL);
    assert.equal(await client.read(10), PONG_RESPONSE);
    client.close();
  });

  it('answers an unknown method with [1, 5, error, nil] and then still answers ping (case 68)', async () => {
    const client = new RawClient(listener.address.port);
    const nope = encodeFrame(encodeCanonical([0, 5, 'gregor.1.incoming.nope', [{}]]));
    client.send(toHex(nope));
    client.send(PING_CALL);
    const [unknown, pong] = (await client.messages(2)) as unknown[][];
    assert.equal(unknown?.[0], 1);
    assert.equal(unknown?.[1], 5);
    assert.notEqual(unknown?.[2], null);
    assert.equal(unknown?.[3], null);
    assert.deepEqual(pong, [1, 1, null, 'pong']);
    client.close();
  });

  it('accepts a d1 (int16) length prefix as a Go reader does (case 69)', async () => {
    const client = new RawClient(listener.address.port);
    client.send(`d1001c${PING_CALL.slice(2)}`);
    assert.equal(await client.read(10), PONG_RESPONSE);
    client.close();
  });

  it('answers two pipelined pings sent in one write, split mid-frame', async () => {
    const client = new RawClient(listener.address.port);
    const second = PING_CALL.replace('940001', '940002');
    const both = PING_CALL + second;
    client.send(both.slice(0, 40));
    await new Promise((r) => setTimeout(r, 10));
    client.send(both.slice(40));
    assert.equal(await client.read(20), PONG_RESPONSE + PONG_RESPONSE.replace('940101', '940102'));
    client.close();
  });

  it('closes only the connection that sends a zero-length frame', async () => {
    const bad = new RawClient(listener.address.port);
    const good = new RawClient(listener.address.port);
    bad.send('00');
    await bad.waitClosed();
    good.send(PING_CALL);
    assert.equal(await good.read(10), PONG_RESPONSE);
    good.close();
  });

  it('closes a connection whose peer stops reading once its write buffer passes the bound', async () => {
    const limits = { maxFrameBytes: 64 * 1024, maxWriteBufferBytes: 256 * 1024 };
    let server: RpcSession | undefined;
    const slow = await listenTcp({ port: 0, session: { limits } }, (session) => {
      server = session;
    });
    const client = new RawClient(slow.address.port);
    client.socket.pause();
    while (server === undefined) await new Promise((r) => setImmediate(r));
    const body = new Uint8Array(60 * 1024);
    // The kernel's buffers absorb some MiB first; the loop is bounded well past that.
    for (let i = 0; i < 2000 && !server.isClosed; i++) {
      server.notify('gregor.1.outgoing.note', body);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await server.closed())?.code, 'GREGOR_ERR_OVERLOADED');
    client.close();
    await slow.close();
  });

  it('connectTcp rejects with a typed error when nothing listens, or when aborted', async () => {
    const probe = await listenTcp({ port: 0 }, () => {});
    const deadPort = probe.address.port;
    await probe.close();
    await assert.rejects(connectTcp({ port: deadPort }), { code: 'GREGOR_ERR_CLOSED' });
    await assert.rejects(connectTcp({ port: listener.address.port, signal: AbortSignal.abort() }), {
      code: 'GREGOR_ERR_ABORTED',
    });
  });
});
