#!/usr/bin/env node
// Launcher of `gregord`: runs the built CLI (dist/, from `npm run build`) when it exists, otherwise
// the TypeScript source through tsx's loader, so a fresh clone works with `npm ci` alone.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/gregord.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/gregord.ts', import.meta.url).href);
}
