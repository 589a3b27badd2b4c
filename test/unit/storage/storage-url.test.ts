import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseStorageUrl,
  STORAGE_URL_SCHEMES,
} from '../../../packages/server/src/storage/index.js';
import { BAD_STORAGE_URLS, GOOD_STORAGE_URLS } from '../../helpers/storage-urls.js';

describe('parseStorageUrl', () => {
  it('reads a URL of every scheme, spelling mariadb: as mysql: for the driver', () => {
    for (const [text, expected] of Object.entries(GOOD_STORAGE_URLS)) {
      assert.deepEqual(parseStorageUrl(text), expected, text);
    }
    const schemes = new Set(Object.keys(GOOD_STORAGE_URLS).map((u) => u.split(':')[0] + ':'));
    assert.deepEqual([...schemes].sort(), Object.keys(STORAGE_URL_SCHEMES).sort());
  });

  it('reads the scheme in any case', () => {
    assert.equal(parseStorageUrl('PostgreSQL://h/db').dialect, 'postgres');
    assert.equal(parseStorageUrl('MariaDB://h/db').url, 'mysql://h/db');
  });

  it('refuses anything else with GREGOR_ERR_CONFIG_INVALID saying what was expected', () => {
    for (const text of BAD_STORAGE_URLS) {
      assert.throws(
        () => parseStorageUrl(text),
        (err: Error & { code?: string }) =>
          err.code === 'GREGOR_ERR_CONFIG_INVALID' &&
          /^storage url: (sqlite: needs|expected)/.test(err.message) &&
          err.message.includes(`got ${JSON.stringify(text)}`),
        text,
      );
    }
  });

  it('hides the password of the URL it refuses', () => {
    assert.throws(
      () => parseStorageUrl('oracle://user:hunter2@db/x'),
      (err: Error) => !err.message.includes('hunter2') && err.message.includes('user:***@'),
    );
  });
});
