/**
 * The version both commands print on `--version`: gregor-server's, read from its package.json,
 * which sits two folders up from this file both in the sources (src/cli/) and once built
 * (dist/cli/), so there is one number to bump.
 */
import { readFileSync } from 'node:fs';

/** gregor-server's version, e.g. `0.2.0`. */
export function serverPackageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('gregor-server has no version');
  return manifest.version;
}

/** The `--version` flag of a commander command. */
export const VERSION_FLAGS = '-V, --version';
export const VERSION_HELP = "print gregor-server's version and exit";
