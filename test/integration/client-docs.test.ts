// docs/client.md stays true: its quick-start example runs, as written, against a real gregord.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { type DocExample, docExample } from '../helpers/doc-example.js';
import { U1 } from '../unit/client/fixtures.js';
import { type Harness, startServer } from './helpers/test-server.js';

describe('docs/client.md', () => {
  let h: Harness;
  let example: DocExample;
  before(async () => {
    h = await startServer({ http: true });
    example = await docExample('docs/client.md');
  });
  after(async () => {
    await h.close();
    await example.remove();
  });

  it('runs the quick-start example over WebSocket: it creates an item, sees the echo and closes', async () => {
    h.auth.allow(U1, undefined, 'doc-token');
    const stdout = await example.run({
      GREGORD: `ws://127.0.0.1:${h.addresses.http!.port}/rpc`,
      GREGOR_TOKEN: 'doc-token',
      GREGOR_UID: toHex(U1),
    });
    const id = /^stored ([0-9a-f]{32})$/m.exec(stdout)?.[1];
    assert.ok(id, `the example prints the stored item's ID:\n${stdout}`);
    // The items it lists after the echo: the new one, with its JSON body.
    assert.match(stdout, new RegExp(`^${id} demo\\.greeting \\{ text: 'hello' \\}$`, 'm'));
    assert.match(stdout, /^status closed$/m);
    const state = await h.stateMachine.state(U1, null, null);
    assert.deepEqual(
      state.items.map((i) => [toHex(i.md!.msgID), i.item?.category, i.item?.body]),
      [[id, 'demo.greeting', new TextEncoder().encode('{"text":"hello"}')]],
    );
  });
});
