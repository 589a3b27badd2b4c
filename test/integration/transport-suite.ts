/**
 * The conformance suite every rpc transport passes: the session must behave the
 * same over TCP, TLS, WebSocket and the in-memory pair, since it does not know which it runs on.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type GregorError, InputError } from '../../packages/client/src/errors.js';
import type { RpcLimitsInput, RpcSession } from '../../packages/client/src/rpc/index.js';

/** A connected client and server session, and how to tear both down. */
export interface SessionPair {
  client: RpcSession;
  server: RpcSession;
  /** Close both ends and whatever listener made them; resolves once everything is released. */
  dispose(): Promise<void>;
}

/** Limits of each end of a pair. */
export interface PairLimits {
  client?: RpcLimitsInput;
  server?: RpcLimitsInput;
}

/** Makes a fresh connected pair whose sessions use `limits`. */
export type MakePair = (limits?: PairLimits) => Promise<SessionPair>;

const PING = 'gregor.1.incoming.ping';
const BROADCAST = 'gregor.1.outgoing.broadcastMessage';

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A handler that waits until its call is aborted and reports the abort reason's code. */
function hangUntilAborted(reasons: { promise: Promise<string>; resolve: (code: string) => void }) {
  return (_arg: unknown, ctx: { signal: AbortSignal }) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        reasons.resolve((ctx.signal.reason as GregorError).code);
        reject(ctx.signal.reason);
      });
    });
}

/** Register the suite for one transport. */
export function runTransportSuite(name: string, makePair: MakePair): void {
  describe(`rpc transport suite: ${name}`, () => {
    let pair: SessionPair | undefined;
    const open = async (limits?: PairLimits): Promise<SessionPair> => {
      pair = await makePair(limits);
      return pair;
    };

    afterEach(async () => {
      const current = pair;
      pair = undefined;
      if (current === undefined) return;
      await current.dispose();
      // No leaks: nothing pending, nothing running, both ends closed.
      for (const session of [current.client, current.server]) {
        assert.equal(session.isClosed, true);
        assert.equal(session.pendingCalls, 0);
        assert.equal(session.runningCalls, 0);
      }
    });

    it('calls and answers in both directions on one connection', async () => {
      const { client, server } = await open();
      server.handle(PING, () => 'pong');
      const broadcasts: unknown[] = [];
      client.handle(BROADCAST, (arg) => {
        broadcasts.push(arg);
      });
      assert.equal(await client.call(PING, {}), 'pong');
      assert.equal(await server.call(BROADCAST, { m: { oobm: { system: 's' } } }), null);
      assert.deepEqual(broadcasts, [{ m: { oobm: { system: 's' } } }]);
    });

    it('resolves each call by its seqno when the answers come out of order (case 70)', async () => {
      const { client, server } = await open();
      const gate = deferred();
      server.handle('t.slow', async () => {
        await gate.promise;
        return 'slow';
      });
      server.handle('t.fast', () => 'fast');
      const order: string[] = [];
      const slow = client.call('t.slow', {}).then((r) => order.push(String(r)));
      const fast = client.call('t.fast', {}).then((r) => order.push(String(r)));
      await fast;
      gate.resolve();
      await slow;
      assert.deepEqual(order, ['fast', 'slow']);
    });

    it('times a call out and cancels it on the callee, whose signal aborts', async () => {
      const { client, server } = await open();
      const reasons = deferred<string>();
      server.handle('t.hang', hangUntilAborted(reasons));
      await assert.rejects(client.call('t.hang', {}, { timeoutMs: 50 }), {
        code: 'GREGOR_ERR_TIMEOUT',
      });
      assert.equal(await reasons.promise, 'GREGOR_ERR_ABORTED');
      server.handle(PING, () => 'pong');
      assert.equal(await client.call(PING, {}), 'pong');
    });

    it('aborting a call aborts the callee handler', async () => {
      const { client, server } = await open();
      const reasons = deferred<string>();
      const started = deferred();
      server.handle('t.hang', (arg, ctx) => {
        started.resolve();
        return hangUntilAborted(reasons)(arg, ctx);
      });
      const controller = new AbortController();
      const call = client.call('t.hang', {}, { signal: controller.signal });
      await started.promise;
      controller.abort();
      await assert.rejects(call, { code: 'GREGOR_ERR_ABORTED' });
      assert.equal(await reasons.promise, 'GREGOR_ERR_ABORTED');
    });

    it('answers an unknown method with an error and keeps the connection usable (case 68)', async () => {
      const { client, server } = await open();
      server.handle(PING, () => 'pong');
      await assert.rejects(client.call('gregor.1.incoming.nope', {}), {
        code: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
        message: "method 'nope' not found in protocol 'gregor.1.incoming'",
      });
      assert.equal(await client.call(PING, {}), 'pong');
    });

    it("rebuilds the callee's typed error at the caller", async () => {
      const { client, server } = await open();
      server.handle('t.fail', () => {
        throw new InputError('GREGOR_ERR_INPUT_INVALID', 'invalid consume call: missing msg ID');
      });
      await assert.rejects(
        client.call('t.fail', {}),
        (err: GregorError) =>
          err instanceof InputError && err.message === 'invalid consume call: missing msg ID',
      );
    });

    it('close rejects pending calls with GREGOR_ERR_CLOSED and the peer sees the close', async () => {
      const { client, server } = await open();
      const started = deferred();
      const reasons = deferred<string>();
      server.handle('t.hang', (arg, ctx) => {
        started.resolve();
        return hangUntilAborted(reasons)(arg, ctx);
      });
      const call = client.call('t.hang', {});
      await started.promise;
      let closes = 0;
      client.on('close', () => closes++);
      client.close();
      await assert.rejects(call, { code: 'GREGOR_ERR_CLOSED' });
      assert.equal(await server.closed(), undefined);
      assert.equal(await reasons.promise, 'GREGOR_ERR_CLOSED');
      assert.equal(closes, 1);
    });

    it('carries payloads larger than 64 KiB across many reads, both ways', async () => {
      const { client, server } = await open();
      const big = new Uint8Array(1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      server.handle('t.echo', (arg) => arg);
      client.handle('t.echo', (arg) => arg);
      assert.deepEqual(await client.call('t.echo', { body: big }), { body: big });
      assert.deepEqual(await server.call('t.echo', { body: big }), { body: big });
    });

    it('keeps many calls in flight at once on both sides', async () => {
      const { client, server } = await open();
      server.handle('t.double', (arg) => (arg as number) * 2);
      client.handle('t.double', (arg) => (arg as number) * 2);
      const n = Array.from({ length: 200 }, (_, i) => i);
      const [fromServer, fromClient] = await Promise.all([
        Promise.all(n.map((i) => client.call('t.double', i))),
        Promise.all(n.map((i) => server.call('t.double', i))),
      ]);
      assert.deepEqual(
        fromServer,
        n.map((i) => i * 2),
      );
      assert.deepEqual(
        fromClient,
        n.map((i) => i * 2),
      );
    });

    it('does not count a burst of frames written in one tick to a reading peer as a slow reader', async () => {
      const { client, server } = await open({
        server: { maxFrameBytes: 32 * 1024, maxWriteBufferBytes: 64 * 1024 },
      });
      const all = deferred();
      let count = 0;
      client.handle('t.note', () => {
        if (++count === 50) all.resolve();
      });
      const body = new Uint8Array(8 * 1024);
      for (let i = 0; i < 50; i++) server.notify('t.note', body);
      await all.promise;
      assert.equal(server.isClosed, false);
    });

    it('closes the connection of a peer that sends a frame above maxFrameBytes', async () => {
      const { client, server } = await open({
        server: { maxFrameBytes: 4096, maxWriteBufferBytes: 8192 },
      });
      server.handle('t.echo', (arg) => arg);
      assert.equal(await client.call('t.echo', 'small'), 'small');
      const errors: string[] = [];
      server.on('error', (err) => errors.push(err.code));
      await assert.rejects(client.call('t.echo', new Uint8Array(8192)), {
        code: 'GREGOR_ERR_CLOSED',
      });
      assert.deepEqual(errors, ['GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE']);
      assert.equal(await client.closed(), undefined);
    });
  });
}
