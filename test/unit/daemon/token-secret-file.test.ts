import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreatedPaths } from '../../../packages/server/src/daemon/created-paths.js';
import {
  loadOrCreateTokenSecret,
  readTokenSecretFile,
} from '../../../packages/server/src/daemon/token-secret-file.js';

describe('token secret file', () => {
  const root = mkdtempSync(join(tmpdir(), 'gregor-secret-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => join(root, `case-${++n}`, 'token-secret');

  it('generates 64 hex digits into a new directory, readable only by its owner', async () => {
    const path = fresh();
    const first = await loadOrCreateTokenSecret(path);
    assert.match(first.secret, /^[0-9a-f]{64}$/);
    assert.equal(first.isNew, true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('returns the same secret on later starts', async () => {
    const path = fresh();
    const first = await loadOrCreateTokenSecret(path);
    const second = await loadOrCreateTokenSecret(path);
    assert.equal(second.secret, first.secret);
    assert.equal(second.isNew, false);
    assert.equal((await readTokenSecretFile(path)).secret, first.secret);
  });

  it('gives every concurrent starter the same secret and leaves no temporary file', async () => {
    const path = fresh();
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateTokenSecret(path)));
    assert.equal(new Set(all.map((s) => s.secret)).size, 1);
    assert.equal(all.filter((s) => s.isNew).length, 1);
    assert.deepEqual(readdirSync(join(path, '..')), ['token-secret']);
  });

  it('refuses a missing or short file, naming it', async () => {
    const path = fresh();
    await assert.rejects(readTokenSecretFile(path), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /ENOENT/,
    });
    await loadOrCreateTokenSecret(path);
    writeFileSync(path, 'short\n');
    await assert.rejects(loadOrCreateTokenSecret(path), {
      message: new RegExp(`${path} is shorter than 16 bytes`),
    });
  });

  it('reports a file others can read', async () => {
    const path = fresh();
    await loadOrCreateTokenSecret(path);
    chmodSync(path, 0o644);
    assert.equal((await readTokenSecretFile(path)).isExposed, true);
  });

  it('refuses to start on a secret others can read, naming the file and chmod 600', async () => {
    const path = fresh();
    await loadOrCreateTokenSecret(path);
    chmodSync(path, 0o604);
    await assert.rejects(loadOrCreateTokenSecret(path), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: `the token secret ${path} can be read by its group or others (mode 0604); run chmod 600 ${path}`,
    });
  });

  it('records what it creates, and CreatedPaths removes exactly that', async () => {
    const path = join(root, `case-${++n}`, 'nested', 'token-secret');
    const created = new CreatedPaths();
    await loadOrCreateTokenSecret(path, created);
    const again = new CreatedPaths();
    await loadOrCreateTokenSecret(path, again);
    await again.removeAll();
    assert.equal(statSync(path).isFile(), true, 'a secret read, not made, stays');
    await created.removeAll();
    assert.deepEqual(readdirSync(root).includes(`case-${n}`), false);
  });
});
