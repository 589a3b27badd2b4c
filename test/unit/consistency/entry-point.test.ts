// The library's entry point (src/index.ts → package "."): it loads, names the pieces applications
// start from, and exposes each layer as a namespace that matches that layer's own index.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as gregor from '../../../src/index.js';
import * as protocol from '../../../src/protocol/index.js';
import * as storage from '../../../src/storage/index.js';

const api: Record<string, unknown> = { ...gregor };

describe('the library entry point', () => {
  it('exports the main classes and functions', () => {
    for (const name of [
      'GregorServer',
      'GregorClient',
      'MemoryEngine',
      'openSqlEngine',
      'RedisBus',
      'InProcessBus',
      'startGregord',
      'parseGregordConfig',
      'GregorError',
    ] as const) {
      assert.equal(typeof api[name], 'function', name);
    }
  });

  it('exposes every layer as a namespace', () => {
    assert.equal(gregor.protocol.stateHash, protocol.stateHash);
    assert.equal(gregor.storage.openSqlEngine, storage.openSqlEngine);
    for (const layer of ['rpc', 'state', 'pubsub', 'server', 'client'] as const) {
      assert.ok(Object.keys(api[layer] as object).length > 0, layer);
    }
  });
});
