import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthResult, UID } from '../../../packages/client/src/protocol/index.js';
import {
  DEFAULT_SESSION_CACHE_TTL_MS,
  SessionCache,
} from '../../../packages/server/src/auth/session-cache.js';

const uid = new Uint8Array(16) as UID;
const session = (sid: string): AuthResult => ({ uid, username: 'u', sid, isAdmin: false });

describe('SessionCache', () => {
  it('keeps an entry for 10 minutes by default, as the original SessionCacher', () => {
    const cache = new SessionCache();
    cache.set('t1', session('s1'), 0);
    assert.equal(cache.get('t1', DEFAULT_SESSION_CACHE_TTL_MS - 1)?.sid, 's1');
    assert.equal(cache.get('t1', DEFAULT_SESSION_CACHE_TTL_MS), undefined);
    assert.equal(cache.size, 0);
  });

  it('drops every token of a revoked session, and only those', () => {
    const cache = new SessionCache();
    cache.set('t1', session('s1'), 0);
    cache.set('t2', session('s1'), 0);
    cache.set('t3', session('s2'), 0);
    assert.equal(cache.dropSessions(['s1', 'unknown']), 2);
    assert.equal(cache.get('t1', 1), undefined);
    assert.equal(cache.get('t2', 1), undefined);
    assert.equal(cache.get('t3', 1)?.sid, 's2');
  });

  it('sweeps expired entries', () => {
    const cache = new SessionCache({ ttlMs: 100 });
    cache.set('old', session('s1'), 0);
    cache.set('new', session('s2'), 50);
    cache.sweep(100);
    assert.equal(cache.size, 1);
    assert.equal(cache.dropSessions(['s1']), 0);
  });

  it('evicts the oldest entry past maxEntries', () => {
    const cache = new SessionCache({ maxEntries: 2 });
    cache.set('a', session('sa'), 0);
    cache.set('b', session('sb'), 0);
    cache.set('c', session('sc'), 0);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a', 1), undefined);
    assert.equal(cache.dropSessions(['sa']), 0);
  });

  it('moves a re-cached token to its new session', () => {
    const cache = new SessionCache();
    cache.set('t', session('s1'), 0);
    cache.set('t', session('s2'), 0);
    assert.equal(cache.dropSessions(['s1']), 0);
    assert.equal(cache.get('t', 1)?.sid, 's2');
  });
});
