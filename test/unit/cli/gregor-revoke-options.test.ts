import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRevokeOptions } from '../../../packages/server/src/cli/gregor-options.js';

const ENV = { GREGOR_TOKEN: 'super-token' };

describe('gregor revoke options (readRevokeOptions)', () => {
  it('reads repeated --session, --sid and --uid into the request, the token from GREGOR_TOKEN', () => {
    const o = readRevokeOptions(
      { session: ['t1', 't2'], sid: ['s1'], uid: ['00ff', 'AB01'], timeout: '10s' },
      ENV,
    );
    assert.equal(o.token, 'super-token');
    assert.deepEqual(o.request.tokens, ['t1', 't2']);
    assert.deepEqual(o.request.sessionIDs, ['s1']);
    assert.deepEqual(
      o.request.uids.map((u) => Buffer.from(u).toString('hex')),
      ['00ff', 'ab01'],
    );
  });

  it('refuses a call naming nothing to revoke, and a uid that is not hex, by flag', () => {
    assert.throws(() => readRevokeOptions({}, ENV), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /at least one --session TOKEN, --sid ID or --uid HEX/,
    });
    assert.throws(() => readRevokeOptions({ uid: ['xyz'] }, ENV), { message: /--uid/ });
  });

  it('needs a token', () => {
    assert.throws(() => readRevokeOptions({ sid: ['s'] }, {}), { message: /--token: required/ });
  });
});
