/**
 * gregord bundled into one JavaScript file with esbuild (npm packages left external), so a
 * scenario that starts gregord hundreds of times does not pay tsx's load-time transpiling on
 * every start: on this 2-core machine that is about 1.5 s of CPU per start. The bundle is the
 * same source as `packages/server/src/cli/gregord.ts`, built fresh at the start of each run. Given another
 * checkout's root, it bundles that checkout's gregord (read only), to run a scenario against it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url).pathname;

/** gregord's entry in a checkout: in packages/server since the workspace split, src/ before. */
function entryOf(sourceRoot: string): string {
  const split = join(sourceRoot, 'packages/server/src/cli/gregord.ts');
  return existsSync(split) ? split : join(sourceRoot, 'src/cli/gregord.ts');
}

/** The npm dependencies of a checkout's packages, except the workspace's own gregor-client. */
function externalPackages(sourceRoot: string): string[] {
  const manifests = [
    'package.json',
    'packages/client/package.json',
    'packages/server/package.json',
  ];
  const names = manifests
    .map((file) => join(sourceRoot, file))
    .filter((file) => existsSync(file))
    .flatMap((file) => Object.keys(JSON.parse(readFileSync(file, 'utf8')).dependencies ?? {}));
  return names.filter((name) => name !== 'gregor-client').flatMap((name) => [name, `${name}/*`]);
}

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
    entryPoints: [entryOf(sourceRoot)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    // gregor-client is bundled from its TypeScript source; the other packages stay external.
    conditions: ['gregor-source'],
    external: externalPackages(sourceRoot),
    outfile: script,
    logLevel: 'warning',
  });
  return { script, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
