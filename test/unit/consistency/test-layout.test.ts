// The unit tests mirror the source: each folder of test/unit is named after the layer folder it
// tests, in gregor-client or gregor-server, so a layer's tests are found where its code is. Two
// folders are not layers: consistency (checks across the whole tree) and examples.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';

const ROOT = new URL('../../../', import.meta.url);
const NOT_LAYERS = ['consistency', 'examples'];

function folders(path: string): string[] {
  return readdirSync(new URL(path, ROOT), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

describe('the unit test layout', () => {
  it('names every folder of test/unit after a layer of packages/*/src', () => {
    const layers = [...folders('packages/client/src/'), ...folders('packages/server/src/')];
    const strays = folders('test/unit/').filter(
      (name) => !layers.includes(name) && !NOT_LAYERS.includes(name),
    );
    assert.deepEqual(strays, []);
  });
});
