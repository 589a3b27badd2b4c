// docs/embedding.md stays true: its complete program runs, as written, from a folder under the
// repository (so that `gregor-server` and `gregor-client` resolve to this checkout).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DocExample, docExample } from '../helpers/doc-example.js';

describe('docs/embedding.md', () => {
  let example: DocExample;
  before(async () => {
    example = await docExample('docs/embedding.md');
  });
  after(async () => {
    await example.remove();
  });

  it('runs the complete program: a server, a token, a client, an item read back, all closed', async () => {
    const stdout = await example.run();
    assert.match(
      stdout,
      /listening on fmprpc:\/\/127\.0\.0\.1:\d+ and ws:\/\/127\.0\.0\.1:\d+\/rpc/,
    );
    assert.match(stdout, /item demo\.greeting hello from an embedded server true/);
  });
});
