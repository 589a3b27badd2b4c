import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPER_UID } from '../../../packages/client/src/protocol/index.js';
import {
  MOCK_SUPERUSER_TOKEN,
  MockAuthenticator,
  mockToken,
} from '../../../packages/server/src/auth/mock-authenticator.js';

const UID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

describe('MockAuthenticator', () => {
  it('reads the uid from a hex token, with the uid hex as session id', async () => {
    const auth = new MockAuthenticator();
    const result = await auth.authenticate(mockToken(UID));
    assert.deepEqual(result.uid, UID);
    assert.equal(result.sid, mockToken(UID));
  });

  it('reads the session id after a colon, and accepts upper-case hex', async () => {
    const auth = new MockAuthenticator();
    const result = await auth.authenticate(`${mockToken(UID).toUpperCase()}:dev1`);
    assert.deepEqual(result.uid, UID);
    assert.equal(result.sid, 'dev1');
  });

  it('treats the token "superuser" as the superuser, which is also its superuser token', async () => {
    const auth = new MockAuthenticator();
    assert.equal(await auth.superuserToken(), MOCK_SUPERUSER_TOKEN);
    assert.deepEqual((await auth.authenticate('superuser')).uid, SUPER_UID);
  });

  it('refuses a blank token as BAD_SESSION and anything else as AUTH_FAILED', async () => {
    const auth = new MockAuthenticator();
    await assert.rejects(auth.authenticate(''), { code: 'GREGOR_ERR_AUTH_BAD_SESSION' });
    for (const token of ['xyz', 'abc', 'ab:c:d', `${mockToken(UID)}:`]) {
      await assert.rejects(auth.authenticate(token), { code: 'GREGOR_ERR_AUTH_FAILED' }, token);
    }
  });

  it('refuses a revoked session and tells listeners', async () => {
    const auth = new MockAuthenticator();
    const heard: string[][] = [];
    auth.onRevoke((ids) => heard.push([...ids]));
    auth.revokeSessionIDs(['dev1']);
    await assert.rejects(auth.authenticate(`${mockToken(UID)}:dev1`), { message: /revoked/ });
    assert.deepEqual(heard, [['dev1']]);
    assert.equal((await auth.authenticate(`${mockToken(UID)}:dev2`)).sid, 'dev2');
  });

  it('keeps telling the other listeners when one throws, and reports the throw', () => {
    const errors: unknown[] = [];
    const auth = new MockAuthenticator({ onListenerError: (err) => errors.push(err) });
    const heard: string[] = [];
    auth.onRevoke(() => {
      throw new Error('boom');
    });
    auth.onRevoke((ids) => heard.push(...ids));
    auth.revokeSessionIDs(['s']);
    assert.deepEqual(heard, ['s']);
    assert.equal(errors.length, 1);
  });
});
