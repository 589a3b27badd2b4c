import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { METHODS, METHODS_BY_NAME } from '../../../packages/client/src/protocol/index.js';

// The 16 callable gregor.1 methods (docs/protocol.md, "Methods"; Keybase's TS type file lists the
// same).
const GREGOR1_METHODS = [
  'gregor.1.auth.authenticateSessionToken',
  'gregor.1.authInternal.createGregorSuperUserSessionToken',
  'gregor.1.authUpdate.revokeSessionIDs',
  'gregor.1.incoming.sync',
  'gregor.1.incoming.consumeMessage',
  'gregor.1.incoming.consumePublishMessage',
  'gregor.1.incoming.consumeMessageMulti',
  'gregor.1.incoming.ping',
  'gregor.1.incoming.version',
  'gregor.1.incoming.state',
  'gregor.1.incoming.stateByCategoryPrefix',
  'gregor.1.incoming.describeConnectedUsers',
  'gregor.1.incoming.describeConnectedUsersInternal',
  'gregor.1.outgoing.broadcastMessage',
  'gregor.1.remind.getReminders',
  'gregor.1.remind.deleteReminders',
];

// An optional cross-check against a copy of Keybase's protocol description kept outside the
// repository (beside the checkout, where present); without it the list above stands alone.
const REFERENCE = new URL('../../../../shared/reference/gregor-protocol.md', import.meta.url);

describe('the method table (protocol/methods.ts)', () => {
  it('declares exactly the 16 callable gregor.1 methods', () => {
    assert.deepEqual([...METHODS_BY_NAME.keys()].sort(), [...GREGOR1_METHODS].sort());
  });

  it('matches the methods of the external protocol description, where a copy is present', (t) => {
    if (!existsSync(REFERENCE)) {
      t.skip('gregor-protocol.md is not beside this checkout');
      return;
    }
    const reference = readFileSync(REFERENCE, 'utf8');
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
