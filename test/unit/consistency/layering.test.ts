// STYLE.md §1.2: dependencies point down (protocol ← rpc ← state ← storage/pubsub ← server/client
// ← cli), and a layer imports another only through its index.ts (or browser.ts, the part of a
// layer's surface that loads no Node module).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(new URL('../../../src', import.meta.url).pathname);
const RANK: Record<string, number> = {
  protocol: 0,
  rpc: 1,
  state: 2,
  storage: 3,
  pubsub: 3,
  server: 4,
  client: 4,
  cli: 5,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

describe('import layering', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), match[1] as string);
      const to = layerOf(target);
      if (to === from || !target.startsWith(SRC) || target === join(SRC, 'errors.js')) continue;
      const where = relative(SRC, file);
      if (!(to in RANK) || !(from in RANK)) continue;
      if ((RANK[to] as number) > (RANK[from] as number))
        violations.push(`${where} imports upward into ${to}/`);
      else if ((RANK[to] as number) === (RANK[from] as number))
        violations.push(`${where} imports across into ${to}/`);
      const surface = relative(join(SRC, to), target);
      if (!/\/index\.js$/.test(match[1] as string) && surface !== 'browser.js') {
        violations.push(`${where} imports ${match[1]} instead of ${to}/index.js or browser.js`);
      }
    }
  }

  it('has no upward, cross-layer or past-the-index imports', () => {
    assert.deepEqual(violations, []);
  });
});
