/**
 * gregord bundled into one JavaScript file with esbuild (npm packages left external), so a
 * scenario that starts gregord hundreds of times does not pay tsx's load-time transpiling on
 * every start: on this 2-core machine that is about 1.5 s of CPU per start. The bundle is the
 * same source as `src/cli/gregord.ts`, built fresh at the start of each run. Given another
 * checkout's root, it bundles that checkout's gregord (read only), to run a scenario against it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Build the bundle into a temp dir under the repository's `.tmp/` (git-ignored; node resolves
 * the external packages from the repository's node_modules from there). Returns its path and a
 * `remove()` for the end of the run.
 */
export async function bundleGregord(
  sourceRoot = ROOT,
): Promise<{ script: string; remove(): void }> {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'gregord-bundle-'));
  const script = join(dir, 'gregord.mjs');
  await build({
    entryPoints: [join(sourceRoot, 'src/cli/gregord.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: script,
    logLevel: 'warning',
  });
  return { script, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
