// Dependencies point down: in gregor-client, protocol ← rpc ← state ← client; in gregor-server,
// storage/pubsub ← auth ← server ← daemon ← cli, all above the client package. A layer imports
// another of its own package only through that layer's index.ts (its public surface), internal.ts
// (the public surface plus what other layers and the tests use) or browser.ts (the part that
// loads no Node module); gregor-server reaches gregor-client only by its package name, never by a
// relative path, and gregor-client never imports the server package or a server driver.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const PACKAGES = resolve(new URL('../../../packages', import.meta.url).pathname);
const RANK: Record<string, number> = {
  protocol: 0,
  rpc: 1,
  state: 2,
  client: 3,
  storage: 4,
  pubsub: 4,
  auth: 5,
  server: 6,
  daemon: 7,
  cli: 8,
};
/** The files through which one layer may reach another: see the comment at the top. */
const SURFACES = new Set(['index.js', 'internal.js', 'browser.js']);
const SERVER_ONLY =
  /^(gregor-server|better-sqlite3|pg|mysql2|redis|pino|prom-client|commander)(\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function violationsIn(pkg: string): string[] {
  const src = join(PACKAGES, pkg, 'src');
  const layerOf = (path: string): string => relative(src, path).split('/')[0] ?? '';
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = layerOf(file);
    const where = `${pkg}/src/${relative(src, file)}`;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const specifier = match[1] as string;
      if (!specifier.startsWith('.')) {
        if (pkg === 'client' && SERVER_ONLY.test(specifier)) {
          violations.push(`${where} imports the server-side ${specifier}`);
        }
        continue;
      }
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(`${src}/`)) {
        violations.push(`${where} imports ${specifier}, outside its package`);
        continue;
      }
      const to = layerOf(target);
      if (to === from || !(to in RANK) || !(from in RANK)) continue;
      if ((RANK[to] as number) > (RANK[from] as number))
        violations.push(`${where} imports upward into ${to}/`);
      else if ((RANK[to] as number) === (RANK[from] as number))
        violations.push(`${where} imports across into ${to}/`);
      const surface = relative(join(src, to), target);
      if (!SURFACES.has(surface)) {
        violations.push(`${where} imports ${specifier} instead of ${to}/index.js or internal.js`);
      }
    }
  }
  return violations;
}

describe('import layering', () => {
  it('has no upward, cross-layer or past-the-index imports in gregor-client', () => {
    assert.deepEqual(violationsIn('client'), []);
  });

  it('has no upward, cross-layer, past-the-index or into-the-client imports in gregor-server', () => {
    assert.deepEqual(violationsIn('server'), []);
  });
});
