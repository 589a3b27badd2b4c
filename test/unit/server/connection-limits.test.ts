import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionLimits, hostOf } from '../../../packages/server/src/server/connection-limits.js';

describe('ConnectionLimits', () => {
  it('counts each address and user up to its bound, and forgets keys back at zero', () => {
    const limits = new ConnectionLimits({ maxPerAddress: 2, maxPerUser: 1 });
    assert.equal(limits.tryOpen('10.0.0.1'), true);
    assert.equal(limits.tryOpen('10.0.0.1'), true);
    assert.equal(limits.tryOpen('10.0.0.1'), false, 'a third from one address');
    assert.equal(limits.tryOpen('10.0.0.2'), true, 'another address has its own count');
    assert.equal(limits.tryLogin('aa'), true);
    assert.equal(limits.tryLogin('aa'), false, 'a second login of one user');
    assert.equal(limits.tryLogin('bb'), true);
    limits.closed('10.0.0.1');
    assert.equal(limits.tryOpen('10.0.0.1'), true, 'a slot freed by a close');
    for (const address of ['10.0.0.1', '10.0.0.1', '10.0.0.2']) limits.closed(address);
    limits.loggedOut('aa');
    limits.loggedOut('bb');
    assert.equal(limits.trackedKeys, 0);
  });

  it('has no bound when none is given', () => {
    const limits = new ConnectionLimits({ maxPerAddress: undefined, maxPerUser: undefined });
    for (let i = 0; i < 10_000; i++) assert.equal(limits.tryOpen('127.0.0.1'), true);
  });

  it('takes the IP out of a remote address, IPv4 or IPv6', () => {
    assert.equal(hostOf('127.0.0.1:5000'), '127.0.0.1');
    assert.equal(hostOf('::1:5000'), '::1');
    assert.equal(hostOf('::ffff:10.1.2.3:443'), '::ffff:10.1.2.3');
    assert.equal(hostOf('[2001:db8::1]:9911'), '2001:db8::1');
  });
});
