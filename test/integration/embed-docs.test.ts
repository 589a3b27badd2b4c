// docs/embedding.md stays true: its complete program runs, as written, from a folder under the
// repository (so that `gregor-server` and `gregor-client` resolve to this checkout).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

async function exampleOfDocs(): Promise<string> {
  const doc = await readFile(join(ROOT, 'docs/embedding.md'), 'utf8');
  const match = /<!-- example:[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(match, 'docs/embedding.md has a marked example');
  return match[1]!;
}

describe('docs/embedding.md', () => {
  let dir: string;
  before(async () => {
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    dir = await mkdtemp(join(ROOT, '.tmp', 'embed-docs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the complete program: a server, a token, a client, an item read back, all closed', async () => {
    const file = join(dir, 'embedded.mts');
    await writeFile(file, await exampleOfDocs());
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
      cwd: dir,
      timeout: 30_000,
    });
    assert.match(
      stdout,
      /listening on fmprpc:\/\/127\.0\.0\.1:\d+ and ws:\/\/127\.0\.0\.1:\d+\/rpc/,
    );
    assert.match(stdout, /item demo\.greeting hello from an embedded server true/);
  });
});
