// The OpenAPI document of the HTTP API: a valid OpenAPI 3.1 document (checked by
// @readme/openapi-parser), generated from the routes' own schemas, and describing exactly the
// routes the server serves: every route is documented and every documented operation exists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { API_BASE, ApiKeys, OPENAPI_PATH } from '../../packages/server/src/server/index.js';
import { buildHttpApp } from '../../packages/server/src/server/internal.js';
import { API_KEY, ApiClient } from './helpers/api-client.js';
import { startServer, U1 } from './helpers/test-server.js';

const METHODS = ['get', 'post', 'delete', 'put', 'patch'] as const;

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], { responses: object }>>>;
}

/** `METHOD /path` of each documented operation, with fastify's `:param` spelling. */
function documentedRoutes(doc: OpenApiDocument): string[] {
  const routes: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      if (item[method] !== undefined) {
        routes.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
  }
  return routes.sort();
}

describe('the OpenAPI document of the HTTP API', () => {
  it('is valid OpenAPI 3.1 and documents exactly the API routes served', async () => {
    const h = await startServer({ http: { api: { keys: [API_KEY] } } });
    try {
      const api = new ApiClient(h.addresses.http!.port, null);
      const answer = await api.get(OPENAPI_PATH.slice(API_BASE.length));
      assert.equal(answer.status, 200);
      const doc = answer.body as OpenApiDocument;
      assert.equal(doc.openapi, '3.1.0');
      // validate() dereferences the document in place: give it a copy.
      const result = await validate(structuredClone(doc) as never);
      assert.ok(result.valid, result.valid ? '' : compileErrors(result));

      const { app, routes } = await buildHttpApp({
        registry: h.server.metrics.registry,
        metrics: h.server.metrics,
        storage: h.stateMachine,
        bus: h.bus,
        api: {
          keys: ApiKeys.of([API_KEY]),
          backend: h.server.backend,
          maxBodyBytes: 1024,
          maxInFlightPerKey: 1,
        },
      });
      await app.close();
      const served = routes
        .filter((r) => r.split(' ')[1]!.startsWith(`${API_BASE}/`))
        .filter((r) => r !== `GET ${OPENAPI_PATH}`)
        .sort();
      assert.ok(served.length >= 10, served.join('\n'));
      assert.deepEqual(documentedRoutes(doc), served);

      // Each documented operation answers (with an empty request: a 4xx naming what is missing,
      // or 200), never 404.
      const keyed = new ApiClient(h.addresses.http!.port);
      const hex = toHex(U1);
      for (const route of served) {
        const [method, path] = route.split(' ') as [string, string];
        const url = path.slice(API_BASE.length).replace(/:\w+/g, hex);
        const body = method === 'POST' ? '{}' : undefined;
        const reply = await keyed.raw(method, url, body);
        assert.notEqual(reply.status, 404, `${route}: ${JSON.stringify(reply.body)}`);
        assert.ok(reply.status < 500, `${route}: ${JSON.stringify(reply.body)}`);
      }
    } finally {
      await h.close();
    }
  });

  it('describes the bearer key, the error body and each route with a summary', async () => {
    const h = await startServer({ http: { api: { keys: [API_KEY] } } });
    try {
      const doc = (await new ApiClient(h.addresses.http!.port, null).get('/openapi.json'))
        .body as OpenApiDocument & {
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        security: object[];
      };
      assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'http', scheme: 'bearer' });
      assert.deepEqual(doc.security, [{ apiKey: [] }]);
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const operation = op as { summary?: string; responses: Record<string, unknown> };
          assert.ok(operation.summary, `${method} ${path} has a summary`);
          assert.ok(
            operation.responses['4XX'] ?? operation.responses.default,
            `${method} ${path} documents its errors`,
          );
        }
      }
    } finally {
      await h.close();
    }
  });
});
