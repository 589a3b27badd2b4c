/**
 * The docs' runnable examples: the code blocks of a doc marked `<!-- example: … -->` (or, where a
 * doc has several, `<!-- example NAME: … -->`), each written into a new folder under the
 * repository's `.tmp/` and run there, as written: a `ts` block by node through tsx (the folder is
 * inside the repository, so its `gregor-client` and `gregor-server` imports resolve to this
 * checkout), a `sh` block by bash with `-eu` (an unset variable fails it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);
/** How long one example may run. */
const EXAMPLE_TIMEOUT_MS = 30_000;

/** A fenced code block of a doc, with the name of its example marker when it has one. */
export interface DocBlock {
  /** The fence's language (`ts`, `sh`, `json`…; empty when none). */
  readonly lang: string;
  readonly code: string;
  /** Whether an `<!-- example … -->` marker stands right before it. */
  readonly isMarked: boolean;
  /** The marker's NAME (`<!-- example NAME: … -->`); '' for `<!-- example: … -->` or none. */
  readonly name: string;
}

/** A marked block of a doc, ready to run. */
export interface DocExample {
  readonly name: string;
  readonly lang: 'ts' | 'sh';
  /** The folder it runs in (a `sh` example's files land here). */
  readonly dir: string;
  /** Run it with these extra environment variables; resolves with what it printed. */
  run(env?: Record<string, string>): Promise<string>;
  /** Delete its folder. */
  remove(): Promise<void>;
}

const BLOCK = /(<!-- example(?: ([\w.-]+))?:[^>]*-->\s*)?```(\w*)\n([\s\S]*?)```/g;

/** Every fenced code block of `doc` (a path under the repository), in order. */
export async function docBlocks(doc: string): Promise<DocBlock[]> {
  const text = await readFile(join(ROOT, doc), 'utf8');
  return [...text.matchAll(BLOCK)].map((m) => ({
    lang: m[3]!,
    code: m[4]!,
    isMarked: m[1] !== undefined,
    name: m[2] ?? '',
  }));
}

/** How each language is written down and run. */
const RUNNERS = {
  ts: { file: 'example.mts', argv: (file: string) => ['--import', 'tsx', file] },
  sh: { file: 'example.sh', argv: (file: string) => ['-eu', file] },
} as const;

async function prepare(doc: string, block: DocBlock): Promise<DocExample> {
  const lang = block.lang;
  assert.ok(lang === 'ts' || lang === 'sh', `${doc}: a marked block is ts or sh, not '${lang}'`);
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  const dir = await mkdtemp(join(ROOT, '.tmp', 'doc-example-'));
  const file = join(dir, RUNNERS[lang].file);
  await writeFile(file, block.code);
  const command = lang === 'ts' ? process.execPath : 'bash';
  return {
    name: block.name,
    lang,
    dir,
    async run(env = {}) {
      const { stdout } = await run(command, RUNNERS[lang].argv(file), {
        cwd: dir,
        timeout: EXAMPLE_TIMEOUT_MS,
        env: { ...process.env, ...env },
      });
      return stdout;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every marked example of `doc`, each in a new folder under `.tmp/`, in the doc's order. */
export async function docExamples(doc: string): Promise<DocExample[]> {
  const marked = (await docBlocks(doc)).filter((b) => b.isMarked);
  assert.ok(marked.length > 0, `${doc} has a marked example`);
  return Promise.all(marked.map((block) => prepare(doc, block)));
}

/** The one marked example of `doc` (e.g. 'docs/client.md'), in a new folder under `.tmp/`. */
export async function docExample(doc: string): Promise<DocExample> {
  const examples = await docExamples(doc);
  assert.equal(examples.length, 1, `${doc} has one marked example`);
  return examples[0]!;
}
