/**
 * The docs' runnable examples: the code block of a doc marked `<!-- example: … -->`, written into
 * a new folder under the repository's `.tmp/` (so that its `gregor-client` and `gregor-server`
 * imports resolve to this checkout) and run, as written, by node through tsx.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

/** The marked example of `doc` (a path under the repository), ready to run. */
export interface DocExample {
  /** Run it with these extra environment variables; resolves with what it printed. */
  run(env?: Record<string, string>): Promise<string>;
  /** Delete its folder. */
  remove(): Promise<void>;
}

/** Write the marked example of `doc` (e.g. 'docs/client.md') into a new folder under `.tmp/`. */
export async function docExample(doc: string): Promise<DocExample> {
  const text = await readFile(join(ROOT, doc), 'utf8');
  const match = /<!-- example:[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(text);
  assert.ok(match, `${doc} has a marked example`);
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(ROOT, '.tmp', 'doc-example-'));
  const file = join(dir, 'example.mts');
  await writeFile(file, match[1]!);
  return {
    async run(env = {}) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], {
        cwd: dir,
        timeout: 30_000,
        env: { ...process.env, ...env },
      });
      return stdout;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
