import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  SUPER_UID,
  toHex,
  type UID as UIDType,
} from '../../../packages/client/src/protocol/index.js';
import {
  DEFAULT_TOKEN_TTL_MS,
  generateTokenSecret,
  MAX_TOKEN_TTL_MS,
  mintToken,
  SignedTokenAuthenticator,
} from '../../../packages/server/src/auth/index.js';

const SECRET = 'a-test-secret-of-enough-length!!';
const UID = Uint8Array.from({ length: 16 }, (_, i) => i + 1) as UIDType;
const T0 = 1_700_000_000_000;

function setup() {
  const clock = { nowMs: T0, now: () => clock.nowMs };
  const auth = new SignedTokenAuthenticator({ secret: SECRET, clock });
  return { clock, auth };
}

describe('mintToken', () => {
  it('mints g2.<uid>.<sid>.<issued>.<expiry>.<username>.<mac> with a 24 h default lifetime', () => {
    const token = mintToken({ uid: UID, sid: 's1', username: 'alice' }, SECRET, T0);
    const parts = token.split('.');
    assert.equal(parts.length, 7);
    assert.deepEqual(parts.slice(0, 5), [
      'g2',
      toHex(UID),
      's1',
      String(T0),
      String(T0 + DEFAULT_TOKEN_TTL_MS),
    ]);
    assert.equal(Buffer.from(parts[5] as string, 'base64url').toString(), 'alice');
  });

  it('refuses a lifetime over 366 days', () => {
    assert.throws(() => mintToken({ uid: UID, ttlMs: MAX_TOKEN_TTL_MS + 1 }, SECRET), {
      message: /ttlMs/,
    });
  });

  it('accepts the uid as hex and picks a random session id when none is given', () => {
    const a = mintToken({ uid: toHex(UID) }, SECRET, T0).split('.');
    const b = mintToken({ uid: toHex(UID) }, SECRET, T0).split('.');
    assert.equal(a[1], toHex(UID));
    assert.notEqual(a[2], b[2]);
  });

  it('rejects a bad uid, sid or ttl by name, and a short secret', () => {
    assert.throws(() => mintToken({ uid: 'xyz' }, SECRET), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: /uid/,
    });
    assert.throws(() => mintToken({ uid: UID, sid: 'a.b' }, SECRET), { message: /sid/ });
    assert.throws(() => mintToken({ uid: UID, ttlMs: 0 }, SECRET), { message: /ttlMs/ });
    assert.throws(() => mintToken({ uid: UID }, 'short'), { code: 'GREGOR_ERR_CONFIG_INVALID' });
  });

  it('generates 64-hex-digit secrets that differ', () => {
    assert.match(generateTokenSecret(), /^[0-9a-f]{64}$/);
    assert.notEqual(generateTokenSecret(), generateTokenSecret());
  });
});

describe('SignedTokenAuthenticator', () => {
  it('resolves a minted token to its uid, sid and username', async () => {
    const { auth } = setup();
    const token = mintToken({ uid: UID, sid: 'sess-1', username: 'alice' }, SECRET, T0);
    const result = await auth.authenticate(token);
    assert.deepEqual(result, { uid: UID, sid: 'sess-1', username: 'alice', isAdmin: false });
  });

  it('refuses a blank token as an unauthed session (BAD_SESSION)', async () => {
    const { auth } = setup();
    await assert.rejects(auth.authenticate(''), {
      code: 'GREGOR_ERR_AUTH_BAD_SESSION',
      status: 202,
    });
  });

  it('refuses a token signed with another secret, and one altered after signing', async () => {
    const { auth } = setup();
    const other = mintToken({ uid: UID, sid: 's' }, 'another-secret-of-enough-length', T0);
    await assert.rejects(auth.authenticate(other), {
      code: 'GREGOR_ERR_AUTH_FAILED',
      message: /bad signature/,
    });
    const token = mintToken({ uid: UID, sid: 's' }, SECRET, T0);
    const forged = token.replace(`.${toHex(UID)}.`, `.${toHex(SUPER_UID)}.`);
    await assert.rejects(auth.authenticate(forged), { code: 'GREGOR_ERR_AUTH_FAILED' });
  });

  it('refuses a token whose MAC is spelled differently but decodes to the same bytes', async () => {
    const { auth } = setup();
    const token = mintToken({ uid: UID, sid: 's' }, SECRET, T0);
    await assert.rejects(auth.authenticate(`${token}=`), { code: 'GREGOR_ERR_AUTH_FAILED' });
  });

  it('refuses malformed tokens', async () => {
    const { auth } = setup();
    for (const token of ['g1', 'x.y.z', 'g2.00.s.1.a.b', `g1.${toHex(UID)}.s.1.a`]) {
      await assert.rejects(auth.authenticate(token), { code: 'GREGOR_ERR_AUTH_FAILED' }, token);
    }
  });

  it('accepts a token until its expiry and refuses it from then on', async () => {
    const { auth, clock } = setup();
    const token = mintToken({ uid: UID, sid: 's', ttlMs: 1000 }, SECRET, T0);
    clock.nowMs = T0 + 999;
    await auth.authenticate(token);
    clock.nowMs = T0 + 1000;
    await assert.rejects(auth.authenticate(token), {
      code: 'GREGOR_ERR_AUTH_FAILED',
      message: /expired/,
    });
  });

  it('refuses a revoked session and tells revoke listeners once per revocation', async () => {
    const { auth } = setup();
    const token = mintToken({ uid: UID, sid: 'gone' }, SECRET, T0);
    const keep = mintToken({ uid: UID, sid: 'kept' }, SECRET, T0);
    const heard: string[][] = [];
    const off = auth.onRevoke((ids) => heard.push([...ids]));
    auth.revokeSessionIDs(['gone']);
    off();
    auth.revokeSessionIDs(['other']);
    assert.deepEqual(heard, [['gone']]);
    await assert.rejects(auth.authenticate(token), { message: /revoked/ });
    assert.equal((await auth.authenticate(keep)).sid, 'kept');
  });

  it('forgets a revocation after its until time', async () => {
    const { auth, clock } = setup();
    const token = mintToken({ uid: UID, sid: 's' }, SECRET, T0);
    auth.revokeSessionIDs(['s'], T0 + 10);
    await assert.rejects(auth.authenticate(token), { code: 'GREGOR_ERR_AUTH_FAILED' });
    clock.nowMs = T0 + 10;
    assert.equal((await auth.authenticate(token)).sid, 's');
  });

  it('mints a superuser token that authenticates as SUPER_UID and is reused until half-life', async () => {
    const { auth, clock } = setup();
    const first = await auth.superuserToken();
    assert.deepEqual((await auth.authenticate(first)).uid, SUPER_UID);
    clock.nowMs = T0 + 30 * 60 * 1000 - 1;
    assert.equal(await auth.superuserToken(), first);
    clock.nowMs = T0 + 30 * 60 * 1000;
    assert.notEqual(await auth.superuserToken(), first);
  });

  it('refuses to start with a secret shorter than 16 bytes', () => {
    assert.throws(() => new SignedTokenAuthenticator({ secret: 'too-short' }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
    });
  });

  it('rejects an already aborted call, and every call after close', async () => {
    const { auth } = setup();
    const token = mintToken({ uid: UID }, SECRET, T0);
    await assert.rejects(auth.authenticate(token, { signal: AbortSignal.abort() }), {
      code: 'GREGOR_ERR_ABORTED',
    });
    await auth.close();
    await auth.close();
    await assert.rejects(auth.authenticate(token), { code: 'GREGOR_ERR_CLOSED' });
  });

  it('still accepts a token of the first format (g1, no issue time)', async () => {
    const { auth } = setup();
    const token = legacyToken('old-session', T0 + 1000);
    assert.equal((await auth.authenticate(token)).sid, 'old-session');
  });

  it('tells when a session must be checked again: its expiry', () => {
    const { auth } = setup();
    assert.equal(auth.validUntil(mintToken({ uid: UID, ttlMs: 5000 }, SECRET, T0)), T0 + 5000);
    assert.equal(auth.validUntil('g2.garbage'), T0, 'a refused token: at once');
  });
});

/** A g1 token, as minted before issue times were carried. */
function legacyToken(sid: string, expiresAtMs: number): string {
  const payload = ['g1', toHex(UID), sid, String(expiresAtMs), ''].join('.');
  return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
}

describe('SignedTokenAuthenticator revocations (revocationsFor, applyRevocations)', () => {
  it('revokes a session by token until the token expires, then forgets it', async () => {
    const { auth, clock } = setup();
    const token = mintToken({ uid: UID, sid: 'by-token', ttlMs: 1000 }, SECRET, T0);
    const revocations = auth.revocationsFor({ tokens: [token] });
    assert.deepEqual(revocations, [{ kind: 'session', sid: 'by-token', untilMs: T0 + 1000 }]);
    auth.applyRevocations(revocations);
    await assert.rejects(auth.authenticate(token), { message: /revoked/ });
    clock.nowMs = T0 + 2000;
    auth.applyRevocations([]);
    assert.equal(auth.revocationCount, 0, 'pruned once the token expired');
  });

  it('refuses a token it cannot read, naming why', () => {
    const { auth } = setup();
    assert.throws(() => auth.revocationsFor({ tokens: ['g2.nonsense'] }), {
      code: 'GREGOR_ERR_AUTH_FAILED',
      message: /malformed/,
    });
  });

  it('revokes a user: sessions issued before now are refused, later ones accepted', async () => {
    const { auth, clock } = setup();
    const before = mintToken({ uid: UID, sid: 'before' }, SECRET, T0 - 1);
    const legacy = legacyToken('legacy', T0 + 10_000);
    const other = mintToken({ uid: SUPER_UID, sid: 'other-user' }, SECRET, T0 - 1);
    auth.applyRevocations(auth.revocationsFor({ uids: [UID] }));
    await assert.rejects(auth.authenticate(before), { message: /revoked/ });
    await assert.rejects(
      auth.authenticate(legacy),
      { message: /revoked/ },
      'no issue time: refused',
    );
    assert.equal((await auth.authenticate(other)).sid, 'other-user');
    clock.nowMs = T0 + 1;
    const after = mintToken({ uid: UID, sid: 'after' }, SECRET, clock.nowMs);
    assert.equal((await auth.authenticate(after)).sid, 'after');
    clock.nowMs = T0 + MAX_TOKEN_TTL_MS;
    auth.applyRevocations([]);
    assert.equal(auth.revocationCount, 0, 'kept for the longest token lifetime only');
  });
});
