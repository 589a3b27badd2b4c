// The client runs in a browser: its browser surface (src/client/browser.ts, package export
// "./browser") bundles for the browser platform with no Node module in the graph. esbuild fails a
// browser bundle on any `node:` import or Node built-in, so a Node-only import slipping into the
// client core, the rpc core, the state engine or the protocol layer fails this test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

const ENTRY = new URL('../../../packages/client/src/client/browser.ts', import.meta.url).pathname;

describe('the browser bundle of the client', () => {
  it('bundles for a browser without any Node module, exposing GregorClient and its WebSocket connector', async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile.inputs);
    const nodeOnly = inputs.filter((f) =>
      /transport-(tcp|ws)\.ts$|client\/node\.ts$|node_modules\/ws\//.test(f),
    );
    assert.deepEqual(nodeOnly, [], 'Node transports are not in the browser bundle');
    const exports =
      result.metafile.outputs[Object.keys(result.metafile.outputs)[0] as string]?.exports;
    for (const name of [
      'GregorClient',
      'standardWebSocketConnector',
      'MemoryClientStorage',
      'connect',
      'Gregor',
      'parseGregorUrl',
      'parseUid',
      'newId',
    ]) {
      assert.ok(exports?.includes(name), `exports ${name}`);
    }
  });
});
