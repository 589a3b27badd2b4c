import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_KIND, gregorError } from '../../../packages/client/src/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map(
  [...doc.matchAll(/^\| `(GREGOR_ERR_[A-Z_]+)` \| (\w+) \| (\d+) \| (\d+) \|/gm)].map((m) => [
    m[1],
    { cls: m[2], status: Number(m[3]), http: Number(m[4]) },
  ]),
);

describe('the error registry (packages/client/src/errors.ts) and docs/errors.md', () => {
  it('documents every registered code with its class, wire status and HTTP status, and nothing else', () => {
    assert.deepEqual([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort());
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.deepEqual(
        rows.get(code),
        { cls: ERROR_KIND[spec.kind], status: spec.status, http: spec.http },
        code,
      );
    }
  });

  it('builds each code as its documented class with code, status and cause', () => {
    const cause = new Error('root');
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      const err = gregorError(code, undefined, { cause });
      assert.equal(err.code, code);
      assert.equal(err.name, rows.get(code)?.cls);
      assert.equal(err.status, rows.get(code)?.status);
      assert.equal(err.cause, cause);
      assert.equal(err.message, ERROR_CODES[code].message);
    }
  });
});
