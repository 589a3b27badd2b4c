// The launchers' shared part: run the built CLI (dist/, from `npm run build`) when it exists,
// otherwise the TypeScript source through tsx's loader, so a clone of the repository works with
// `npm ci` alone. From source, gregor-client must resolve to its TypeScript too: a resolve hook
// adds the `gregor-source` export condition that the repository's own scripts pass to node.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const SOURCE_CONDITION_HOOK = `data:text/javascript,${encodeURIComponent(
  'export function resolve(specifier, context, next) {' +
    " return next(specifier, { ...context, conditions: [...context.conditions, 'gregor-source'] });" +
    ' }',
)}`;

/** Import the CLI `name` (gregord or gregor), built or from source. */
export async function launch(name) {
  const built = new URL(`../dist/cli/${name}.js`, import.meta.url);
  if (existsSync(built)) return import(built.href);
  register(SOURCE_CONDITION_HOOK);
  const tsx = await import('tsx/esm/api');
  tsx.register();
  return import(new URL(`../src/cli/${name}.ts`, import.meta.url).href);
}
