// Every error status of the HTTP API, each produced for real: bad input (400), keys (401, and 404
// when none is configured), unknown paths (404), quota (409), sizes (413), too many requests in
// flight (429, with retry-after), storage and bus down (503, nothing stored). Plus the API's
// metrics. Memory engine; the storage-specific paths are in api-contract.test.ts.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { ManualClock, MemoryEngine } from '../../packages/client/src/state/index.js';
import { InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { ApiKeys } from '../../packages/server/src/server/index.js';
import { API_KEY, ApiClient } from './helpers/api-client.js';
import { withOverrides } from './helpers/engine-faults.js';
import { type Harness, type HarnessOptions, startServer, T0, U1 } from './helpers/test-server.js';

const uid1 = toHex(U1);
const ITEMS = `/users/${uid1}/items`;

/** The first bytes the server answers to `request` sent as it is (the body left unfinished). */
function rawAnswer(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.once('data', (chunk) => {
      resolve(chunk.toString('latin1'));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function withApi(
  opts: HarnessOptions,
  fn: (api: ApiClient, h: Harness) => Promise<void>,
): Promise<void> {
  const h = await startServer({ http: { api: { keys: [API_KEY] } }, ...opts });
  try {
    await fn(new ApiClient(h.addresses.http!.port), h);
  } finally {
    await h.close();
  }
}

function assertError(answer: { status: number; body: unknown }, status: number, code: string) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  const { error } = answer.body as { error: { code: string; message: string } };
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  return error.message;
}

describe('the HTTP API refuses what it must, with the documented status and code', () => {
  it('400: names the field of a bad uid, a missing or doubled body, an unknown field, bad JSON', async () => {
    await withApi({}, async (api) => {
      assert.match(
        assertError(
          await api.post('/users/XYZ/items', { category: 'c', body: 'b' }),
          400,
          'GREGOR_ERR_INPUT_INVALID',
        ),
        /uid/,
      );
      assert.match(
        assertError(await api.post(ITEMS, { category: 'c' }), 400, 'GREGOR_ERR_INPUT_INVALID'),
        /body/,
      );
      assertError(
        await api.post(ITEMS, { category: 'c', body: 'b', bodyBase64: 'Yg==' }),
        400,
        'GREGOR_ERR_INPUT_INVALID',
      );
      assert.match(
        assertError(
          await api.post(ITEMS, { category: 'c', body: 'b', colour: 1 }),
          400,
          'GREGOR_ERR_INPUT_INVALID',
        ),
        /colour/,
      );
      assert.match(
        assertError(
          await api.post(ITEMS, { category: 'c', body: 'b', expireIn: -1 }),
          400,
          'GREGOR_ERR_INPUT_INVALID',
        ),
        /expireIn/,
      );
      assertError(await api.raw('POST', ITEMS, '{"category":'), 400, 'GREGOR_ERR_INPUT_INVALID');
      assertError(await api.get('/users/00/sync?since=x'), 400, 'GREGOR_ERR_INPUT_INVALID');
      // Prototype poisoning is refused, not merged.
      assertError(
        await api.raw('POST', ITEMS, '{"category":"c","body":"b","__proto__":{"x":1}}'),
        400,
        'GREGOR_ERR_INPUT_INVALID',
      );
    });
  });

  it('401: a missing, malformed or wrong key, with www-authenticate; nothing is read or stored', async () => {
    await withApi({}, async (_api, h) => {
      const port = h.addresses.http!.port;
      const anonymous = new ApiClient(port, null);
      const wrong = new ApiClient(port, 'not-the-key-0123456789');
      for (const answer of [
        await anonymous.post(ITEMS, { category: 'c', body: 'b' }),
        await wrong.post(ITEMS, { category: 'c', body: 'b' }),
        await anonymous.get(ITEMS, { authorization: `Basic ${API_KEY}` }),
        await anonymous.get('/presence?uid=00', { authorization: `Bearer ${API_KEY}x` }),
      ]) {
        assertError(answer, 401, 'GREGOR_ERR_AUTH_FAILED');
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      }
      assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 0);
      // The OpenAPI document needs no key.
      assert.equal((await anonymous.get('/openapi.json')).status, 200);
    });
  });

  it('404: unknown paths; every path, the document included, while no key is configured', async () => {
    await withApi({}, async (api) => {
      assertError(await api.get('/users'), 404, 'GREGOR_ERR_NOT_FOUND');
      assertError(await api.post('/nothing', {}), 404, 'GREGOR_ERR_NOT_FOUND');
    });
    await withApi({ http: { api: { keys: ApiKeys.of([]) } } }, async (api) => {
      assertError(await api.post(ITEMS, { category: 'c', body: 'b' }), 404, 'GREGOR_ERR_NOT_FOUND');
      assertError(await api.get('/openapi.json'), 404, 'GREGOR_ERR_NOT_FOUND');
    });
    await withApi({ http: true }, async (api) => {
      assertError(await api.get('/openapi.json'), 404, 'GREGOR_ERR_NOT_FOUND');
    });
  });

  it('409: a creation past the user quota; dismissals still pass', async () => {
    await withApi({ maxItemsPerUser: 1 }, async (api) => {
      const first = await api.post(ITEMS, { category: 'c', body: 'b' });
      assert.equal(first.status, 201);
      assertError(
        await api.post(ITEMS, { category: 'c', body: 'b' }),
        409,
        'GREGOR_ERR_QUOTA_EXCEEDED',
      );
      assert.equal((await api.delete(`${ITEMS}/${first.body.id}`)).status, 200);
      assert.equal((await api.post(ITEMS, { category: 'c', body: 'b' })).status, 201);
    });
  });

  it('413: a request body over --api-max-body-bytes, refused from its length; an item body over --max-body-bytes', async () => {
    await withApi(
      {
        http: { api: { keys: [API_KEY], maxBodyBytes: 1024 } },
        consumeLimits: { maxBodyBytes: 100 },
      },
      async (api) => {
        assertError(
          await api.post(ITEMS, { category: 'c', body: 'x'.repeat(2048) }),
          413,
          'GREGOR_ERR_INPUT_TOO_LARGE',
        );
        assertError(
          await api.post(ITEMS, { category: 'c', body: 'x'.repeat(200) }),
          413,
          'GREGOR_ERR_INPUT_TOO_LARGE',
        );
        assert.equal((await api.post(ITEMS, { category: 'c', body: 'x'.repeat(50) })).status, 201);
      },
    );
  });

  it('413 and 401 come before the body is read: a request announcing 50 MB is answered after its headers', async () => {
    await withApi({}, async (_api, h) => {
      const port = h.addresses.http!.port;
      const ask = (authorization: string) =>
        rawAnswer(
          port,
          `POST /api/v1${ITEMS} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
            `content-length: 50000000\r\nauthorization: ${authorization}\r\n\r\n{"category"`,
        );
      assert.match(await ask(`Bearer ${API_KEY}`), /^HTTP\/1\.1 413 /);
      assert.match(await ask('Bearer wrong-key-0123456789'), /^HTTP\/1\.1 401 /);
    });
  });

  it('429: past --api-max-in-flight requests of one key, with retry-after; the key works again after', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const isHeld = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const engine = withOverrides(new MemoryEngine({ clock: new ManualClock(T0) }), {
      state: async (real, ...args) => {
        entered();
        await held;
        return real(...args);
      },
    });
    await withApi(
      { stateMachine: engine, http: { api: { keys: [API_KEY], maxInFlightPerKey: 1 } } },
      async (api) => {
        const slow = api.get(ITEMS);
        await isHeld;
        const refused = await api.post(ITEMS, { category: 'c', body: 'b' });
        assertError(refused, 429, 'GREGOR_ERR_OVERLOADED');
        assert.equal(refused.headers.get('retry-after'), '1');
        release();
        assert.equal((await slow).status, 200);
        assert.equal((await api.post(ITEMS, { category: 'c', body: 'b' })).status, 201);
      },
    );
    await engine.close();
  });

  it('503: storage failing, and the bus down, store nothing and say so without internal detail', async () => {
    const failing = withOverrides(new MemoryEngine({ clock: new ManualClock(T0) }), {
      consume: () => Promise.reject(new Error('SELECT secret FROM passwords')),
    });
    await withApi({ stateMachine: failing }, async (api) => {
      const message = assertError(
        await api.post(ITEMS, { category: 'c', body: 'b' }),
        503,
        'GREGOR_ERR_STORAGE_FAILED',
      );
      assert.doesNotMatch(message, /SELECT|secret/);
    });
    await failing.close();

    class DisconnectedBus extends InProcessBus {
      override get isReady(): boolean {
        return false;
      }
    }
    const bus = new DisconnectedBus();
    await withApi({ bus }, async (api, h) => {
      assertError(
        await api.post(ITEMS, { category: 'c', body: 'b' }),
        503,
        'GREGOR_ERR_BUS_FAILED',
      );
      assertError(
        await api.post('/items', { uids: [uid1], category: 'c', body: 'b' }),
        503,
        'GREGOR_ERR_BUS_FAILED',
      );
      assert.equal((await h.stateMachine.state(U1, null, null)).items.length, 0, 'nothing stored');
    });
    await bus.close();
  });

  it('counts requests by route and status in /metrics, with a duration histogram', async () => {
    await withApi({}, async (api, h) => {
      await api.post(ITEMS, { category: 'c', body: 'b' });
      await api.post(ITEMS, { category: 'c' });
      await new ApiClient(h.addresses.http!.port, null).get(ITEMS);
      const text = await (await fetch(`http://127.0.0.1:${h.addresses.http!.port}/metrics`)).text();
      const route = 'POST /api/v1/users/:uid/items';
      assert.match(
        text,
        new RegExp(`^gregor_api_requests_total\\{route="${route}",status="201"\\} 1$`, 'm'),
      );
      assert.match(
        text,
        new RegExp(`^gregor_api_requests_total\\{route="${route}",status="400"\\} 1$`, 'm'),
      );
      assert.match(
        text,
        /^gregor_api_requests_total\{route="GET \/api\/v1\/users\/:uid\/items",status="401"\} 1$/m,
      );
      assert.match(
        text,
        new RegExp(`^gregor_api_request_seconds_count\\{route="${route}"\\} 2$`, 'm'),
      );
    });
  });
});
