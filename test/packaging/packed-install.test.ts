// The packages as users get them: both are built and packed (`npm pack`) from a copy of the
// sources, installed into a new project outside the repository, and used there as published:
// gregor-client alone installs no native build and few packages; its types compile under `strict`
// with `skipLibCheck: false`; a program type-checked against it runs against the gregord of the
// installed gregor-server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GregordProcess } from '../integration/helpers/gregord-process.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const STEP_TIMEOUT_MS = 180_000;

/** What `npm pack --json` says of one tarball. */
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

async function npm(args: string[], cwd: string): Promise<string> {
  // NODE_OPTIONS is cleared: an installed package resolves as it does for users.
  const env = {
    ...process.env,
    NODE_OPTIONS: '',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const { stdout } = await run('npm', args, { cwd, env, timeout: STEP_TIMEOUT_MS });
  return stdout;
}

/**
 * Copy both packages into `staging` (under the repository, so the build finds its compiler and
 * type packages), build them there as `npm run build` does, and pack them into `out`.
 */
async function packBoth(staging: string, out: string): Promise<Record<string, PackResult>> {
  await cp(join(ROOT, 'tsconfig.json'), join(staging, 'tsconfig.json'));
  for (const name of ['client', 'server']) {
    const from = join(ROOT, 'packages', name);
    const to = join(staging, 'packages', name);
    for (const entry of await readdir(from)) {
      if (entry === 'dist' || entry === 'node_modules') continue;
      await cp(join(from, entry), join(to, entry), { recursive: true });
    }
  }
  // The server's build resolves gregor-client by name, to the staged client's types.
  await mkdir(join(staging, 'node_modules'));
  await symlink('../packages/client', join(staging, 'node_modules', 'gregor-client'));
  const packed: Record<string, PackResult> = {};
  for (const name of ['client', 'server']) {
    const dir = join(staging, 'packages', name);
    await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.build.json')], {
      timeout: STEP_TIMEOUT_MS,
    });
    const json = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', out], dir);
    packed[name] = (JSON.parse(json) as PackResult[])[0]!;
  }
  return packed;
}

/** Installed packages under a project's node_modules (each folder with a package.json). */
async function installedPackages(project: string): Promise<string[]> {
  const out = await npm(['ls', '--all', '--parseable'], project);
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
}

const PROGRAM = `import { connect, isGregorError } from 'gregor-client';

// gregord runs with --mock-auth here: the token of a user is its uid.
const uid = '01'.repeat(16);
const g = await connect(\`fmprpc://\${process.env.GREGORD!}\`, { uid, token: uid });
const seen = new Promise<void>((resolve) => g.on('item', () => resolve()));
const id: string = await g.create({ category: 'packed.hello', body: { greeting: 'hi' } });
await seen;
const refused = await g.create({ category: '', body: 'x' }).catch((err: unknown) => err);
console.log(
  JSON.stringify({
    items: g.items().map((item) => [item.id === id, item.category, item.json()]),
    refused: isGregorError(refused) ? refused.code : String(refused),
  }),
);
await g.close();
`;

/** A page: the browser build of the package, seen through a bundler's resolution. */
const PAGE = `import { connect, type GregorConnection, type GregorItem } from 'gregor-client';

export async function inbox(token: string): Promise<GregorConnection> {
  const g = await connect('ws://127.0.0.1:9912/rpc', { uid: '01'.repeat(16), token });
  g.on('item', (item: GregorItem) => console.log(item.text()));
  return g;
}
`;

/** A browser project: DOM types and no Node types at all. */
const PAGE_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    customConditions: ['browser'],
    lib: ['ES2023', 'DOM'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['page.ts'],
};

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    outDir: 'out',
  },
  include: ['program.ts'],
};

describe('the packed packages, installed into a new project', { timeout: 600_000 }, () => {
  let staging: string;
  let work: string;
  let packed: Record<string, PackResult>;

  before(async () => {
    await mkdir(join(ROOT, '.tmp'), { recursive: true });
    staging = await mkdtemp(join(ROOT, '.tmp', 'pack-'));
    work = await mkdtemp(join(tmpdir(), 'gregor-consumer-'));
    packed = await packBoth(staging, work);
  });

  after(async () => {
    await rm(staging, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('packs the built JavaScript and types, and no TypeScript source or test', () => {
    for (const [name, entry] of [
      ['client', 'dist/index.js'],
      ['client', 'dist/index.d.ts'],
      ['client', 'dist/browser.js'],
      ['server', 'dist/index.js'],
      ['server', 'bin/gregord.js'],
      ['server', 'bin/gregor.js'],
    ] as const) {
      assert.ok(
        packed[name]!.files.some((f) => f.path === entry),
        `${name} has ${entry}`,
      );
    }
    for (const name of ['client', 'server']) {
      const { files, size, unpackedSize } = packed[name]!;
      const sources = files.filter((f) => /^src\/|\.test\./.test(f.path));
      assert.deepEqual(sources, [], `${name} ships no source`);
      const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
      console.log(
        `# gregor-${name}: ${files.length} files, ${kib(size)} packed, ${kib(unpackedSize)} unpacked`,
      );
    }
  });

  it('installs gregor-client alone with fewer than 10 packages and no native build', async () => {
    const project = join(work, 'client-only');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{ "name": "client-only", "private": true }');
    await npm(['install', '--no-package-lock', join(work, packed.client!.filename)], project);
    const installed = await installedPackages(project);
    assert.ok(installed.includes('gregor-client'), installed.join(', '));
    assert.ok(installed.length < 10, `${installed.length} packages: ${installed.join(', ')}`);
    for (const name of installed) {
      const manifest = JSON.parse(
        await readFile(join(project, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { gypfile?: boolean; scripts?: Record<string, string> };
      assert.notEqual(manifest.gypfile, true, `${name} is a native build`);
      assert.equal(manifest.scripts?.install, undefined, `${name} has an install script`);
    }
    console.log(`# gregor-client installs ${installed.length} packages: ${installed.join(', ')}`);
  });

  it('type-checks a program under strict with skipLibCheck false, and runs it against the installed gregord', async () => {
    const project = join(work, 'app');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      '{ "name": "app", "private": true, "type": "module" }',
    );
    // --ignore-scripts: the program runs gregord on memory storage, so SQLite's addon is not built.
    await npm(
      [
        'install',
        '--no-package-lock',
        '--ignore-scripts',
        join(work, packed.client!.filename),
        join(work, packed.server!.filename),
        '@types/node@20',
      ],
      project,
    );
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
    await writeFile(join(project, 'program.ts'), PROGRAM);
    await writeFile(join(project, 'tsconfig.page.json'), JSON.stringify(PAGE_TSCONFIG));
    await writeFile(join(project, 'page.ts'), PAGE);
    for (const config of ['tsconfig.json', 'tsconfig.page.json']) {
      await run(process.execPath, [TSC, '-p', join(project, config)], {
        cwd: project,
        timeout: STEP_TIMEOUT_MS,
      }).catch((err: { stdout?: string }) => {
        assert.fail(`${config}: the program does not type-check:\n${err.stdout ?? String(err)}`);
      });
    }

    const gregord = await GregordProcess.start({
      storage: 'memory:',
      http: false,
      script: join(project, 'node_modules/gregor-server/bin/gregord.js'),
    });
    try {
      const { stdout } = await run(process.execPath, [join(project, 'out/program.js')], {
        cwd: project,
        timeout: 30_000,
        env: { ...process.env, NODE_OPTIONS: '', GREGORD: `127.0.0.1:${gregord.tcpPort}` },
      });
      assert.deepEqual(JSON.parse(stdout), {
        items: [[true, 'packed.hello', { greeting: 'hi' }]],
        refused: 'GREGOR_ERR_INPUT_INVALID',
      });
    } finally {
      await gregord.stop();
    }
  });
});
