import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originPolicy } from '../../../packages/server/src/server/origin-policy.js';

const at = (host: string, port: number) => () => ({ host, port });

describe('originPolicy', () => {
  it("allows the listener's own origin, by its address or a loopback name when on loopback", () => {
    const allows = originPolicy([], at('127.0.0.1', 9912));
    assert.equal(allows('http://127.0.0.1:9912'), true);
    assert.equal(allows('http://localhost:9912'), true);
    assert.equal(allows('http://[::1]:9912'), true);
    assert.equal(allows('https://127.0.0.1:9912'), true);
    assert.equal(allows('http://127.0.0.1:3000'), false);
    assert.equal(allows('http://127.0.0.1'), false);
    assert.equal(allows('http://rebound.example:9912'), false);
    assert.equal(allows('null'), false);
    assert.equal(allows('file://'), false);
  });

  it('on every interface, takes loopback names; on a named host, that name only', () => {
    assert.equal(originPolicy([], at('0.0.0.0', 9912))('http://localhost:9912'), true);
    const named = originPolicy([], at('gregor.internal', 443));
    assert.equal(named('https://gregor.internal'), true);
    assert.equal(named('https://localhost'), false);
  });

  it('allows the listed origins, and every origin with *', () => {
    const listed = originPolicy(['https://app.example.com'], at('127.0.0.1', 9912));
    assert.equal(listed('https://app.example.com'), true);
    assert.equal(listed('https://APP.example.com'), true);
    assert.equal(listed('http://app.example.com'), false);
    assert.equal(originPolicy(['*'], at('127.0.0.1', 9912))('http://evil.example'), true);
  });
});
