// The packages' entry points, imported by their package names as an application would (in this
// repository the `gregor-source` condition resolves them to their TypeScript): they load, name the
// pieces applications start from, and expose layers as namespaces matching each layer's index.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'gregor-client';
import * as clientBrowser from 'gregor-client/browser';
import * as protocol from 'gregor-client/protocol';
import * as server from 'gregor-server';
import * as storage from 'gregor-server/storage';

function assertFunctions(api: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) assert.equal(typeof api[name], 'function', name);
}

describe('the gregor-client entry points', () => {
  it('exports the client, its connectors and the typed errors', () => {
    assertFunctions(client, [
      'connect',
      'newId',
      'parseUid',
      'GregorClient',
      'tcpConnector',
      'GregorError',
    ]);
    assert.equal(client.protocol.stateHash, protocol.stateHash);
  });

  it('exports the same client for browsers, without the Node connectors', () => {
    assertFunctions(clientBrowser, [
      'connect',
      'GregorClient',
      'standardWebSocketConnector',
      'GregorError',
    ]);
    assert.equal(clientBrowser.GregorClient, client.GregorClient);
    assert.equal('tcpConnector' in clientBrowser, false);
  });
});

describe('the gregor-server entry point', () => {
  it('exports the server, the engines and buses, and the typed errors', () => {
    assertFunctions(server, [
      'GregorServer',
      'openSqlEngine',
      'RedisBus',
      'InProcessBus',
      'startGregord',
      'parseGregordConfig',
      'GregorError',
    ]);
    assert.equal(server.GregorError, client.GregorError, 'one error class for both packages');
  });

  it('exposes its layers as namespaces', () => {
    assert.equal(server.storage.openSqlEngine, storage.openSqlEngine);
    for (const [name, layer] of Object.entries({
      pubsub: server.pubsub,
      server: server.server,
      storage: server.storage,
    })) {
      assert.ok(Object.keys(layer).length > 0, name);
    }
  });
});
