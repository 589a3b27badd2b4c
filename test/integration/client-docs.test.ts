// docs/client.md stays true: its quick-start example runs, as written, against a real gregord.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { U1 } from '../unit/client/fixtures.js';
import { type Harness, startServer } from './helpers/test-server.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

async function exampleOfDocs(): Promise<string> {
  const doc = await readFile(join(ROOT, 'docs/client.md'), 'utf8');
  const match = /<!-- example:[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(match, 'docs/client.md has a marked example');
  return match[1]!;
}

describe('docs/client.md', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await startServer({ http: true });
    // Under the repository, so that the example's `gregor-client` resolves to this checkout.
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, '.tmp', 'docs-'));
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the quick-start example over WebSocket: it creates an item, sees the echo and closes', async () => {
    const file = join(dir, 'example.mts');
    await writeFile(file, await exampleOfDocs());
    h.auth.allow(U1, undefined, 'doc-token');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      timeout: 30_000,
      env: {
        ...process.env,
        GREGORD: `ws://127.0.0.1:${h.addresses.http!.port}/rpc`,
        GREGOR_TOKEN: 'doc-token',
        GREGOR_UID: toHex(U1),
      },
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
