import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { METHODS, METHODS_BY_NAME } from '../../../src/protocol/index.js';

const reference = readFileSync(
  new URL('../../../../shared/reference/gregor-protocol.md', import.meta.url),
  'utf8',
);

describe('the method table (protocol/methods.ts)', () => {
  it('declares exactly the 16 callable gregor.1 methods of the reference §5 table', () => {
    const section = reference.slice(reference.indexOf('## 5.'), reference.indexOf('## 6.'));
    const listed = new Set(
      [...section.matchAll(/^\| `(gregor\.1\.[a-zA-Z]+\.[a-zA-Z]+)`/gm)].map((m) => m[1]),
    );
    listed.delete('gregor.1.blocking.blockConversations'); // §5: out of scope, not in Keybase's TS list
    assert.equal(listed.size, 16);
    assert.deepEqual([...METHODS_BY_NAME.keys()].sort(), [...listed].sort());
  });

  it('decodes the one-element argument map with the wire keys', () => {
    const arg = METHODS.sync.decodeArg({ uid: new Uint8Array([1]), deviceid: null, ctime: 5 });
    assert.deepEqual(arg, { uid: new Uint8Array([1]), deviceid: null, ctime: 5 });
    assert.throws(() => METHODS.getReminders.decodeArg({ maxReminders: 'x' }), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: /arg\.maxReminders/,
    });
  });

  it('keeps the remind protocol superuser-only and ping open', () => {
    assert.equal(METHODS.getReminders.auth, 'superuser');
    assert.equal(METHODS.deleteReminders.auth, 'superuser');
    assert.equal(METHODS.ping.auth, 'none');
  });
});
