import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FileClientStorage,
  parseGregorAddress,
} from '../../../packages/client/src/client/index.js';

describe('parseGregorAddress', () => {
  it('reads host:port and the fmprpc URIs', () => {
    assert.deepEqual(parseGregorAddress('gregor.example:4443'), {
      host: 'gregor.example',
      port: 4443,
      isTls: false,
    });
    assert.deepEqual(parseGregorAddress('fmprpc://10.0.0.1:9911'), {
      host: '10.0.0.1',
      port: 9911,
      isTls: false,
    });
    assert.deepEqual(parseGregorAddress('fmprpc+tls://g:443'), {
      host: 'g',
      port: 443,
      isTls: true,
    });
    assert.deepEqual(parseGregorAddress('[::1]:80'), { host: '::1', port: 80, isTls: false });
  });

  it('rejects anything else, naming the address', () => {
    for (const bad of ['nohost', 'http://h:1', 'h:70000', 'h:0', 'h:', 'fmprpc://h']) {
      assert.throws(() => parseGregorAddress(bad), { code: 'GREGOR_ERR_CONFIG_INVALID' }, bad);
    }
  });
});

describe('FileClientStorage', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gregor-client-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates its folder, reads back what it wrote, and has nothing for an unknown key', async () => {
    const storage = new FileClientStorage(join(root, 'a', 'b'));
    assert.equal(await storage.get('gregor/0101'), undefined);
    await storage.put('gregor/0101', Uint8Array.of(1, 2, 3));
    await storage.put('gregor/_ld0101', Uint8Array.of(4));
    assert.deepEqual(await storage.get('gregor/0101'), Uint8Array.of(1, 2, 3));
    assert.deepEqual(await storage.get('gregor/_ld0101'), Uint8Array.of(4));
  });

  it('replaces a file whole, leaves no temporary file, and keeps it private (0600)', async () => {
    const dir = join(root, 'c');
    const storage = new FileClientStorage(dir);
    await storage.put('k', new Uint8Array(1000).fill(7));
    await storage.put('k', Uint8Array.of(9));
    assert.deepEqual(await storage.get('k'), Uint8Array.of(9));
    assert.deepEqual(await readdir(dir), ['k']);
    assert.equal((await stat(join(dir, 'k'))).mode & 0o777, 0o600);
  });
});
