import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGregorAddress } from '../../../packages/client/src/client/node.js';
import { parseGregorUrl } from '../../../packages/client/src/rpc/index.js';
import { readConnectOptions } from '../../../packages/server/src/cli/gregor-options.js';
import { parseGregordConfig } from '../../../packages/server/src/daemon/config.js';

describe('gregor --address (readConnectOptions)', () => {
  it('takes HOST:PORT, fmprpc://, fmprpc+tls:// (TLS) and ws://, as the library parses them', () => {
    for (const address of ['g.example:9911', 'fmprpc://[::1]:9000', 'ws://h:9912/rpc']) {
      const { target } = readConnectOptions({ address }, {});
      assert.deepEqual(target.address, parseGregorUrl(address));
    }
    const tls = readConnectOptions({ address: 'fmprpc+tls://g.example:443', ca: 'ca.pem' }, {});
    assert.deepEqual([tls.target.address.tls, tls.target.caFile], [true, 'ca.pem']);
  });

  it('falls back to GREGOR_ADDRESS, then 127.0.0.1:9911', () => {
    const env = readConnectOptions({}, { GREGOR_ADDRESS: 'fmprpc+tls://h:1' }).target;
    assert.deepEqual(env.address, { kind: 'tcp', host: 'h', port: 1, tls: true });
    const fallback = readConnectOptions({}, {}).target;
    assert.deepEqual(fallback.address, { kind: 'tcp', host: '127.0.0.1', port: 9911, tls: false });
  });

  it('refuses what parseGregorAddress refuses, with its message, naming the flag or variable', () => {
    for (const bad of ['h:0', 'nohost', 'http://h:1']) {
      let expected = '';
      assert.throws(
        () => parseGregorAddress(bad),
        (err: Error) => {
          expected = err.message;
          return true;
        },
      );
      assert.throws(() => readConnectOptions({ address: bad }, {}), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message: `invalid option: --address: ${expected}`,
      });
      assert.throws(() => readConnectOptions({}, { GREGOR_ADDRESS: bad }), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message: `invalid option: GREGOR_ADDRESS: ${expected}`,
      });
    }
  });
});

describe('gregord --auth-server', () => {
  it('reads the address as parseGregorAddress does, with the scheme required', () => {
    for (const uri of ['fmprpc://authd:4000', 'fmprpc+tls://[::1]:4000']) {
      const config = parseGregordConfig({ flags: { authServer: uri } });
      assert.ok(config.auth.mode === 'remote');
      assert.deepEqual(config.auth.server, { uri, ...parseGregorAddress(uri) });
    }
    for (const bad of ['authd:4000', 'fmprpc://authd:0', 'fmprpc://:4000']) {
      assert.throws(() => parseGregordConfig({ flags: { authServer: bad } }), {
        code: 'GREGOR_ERR_CONFIG_INVALID',
        message: /^invalid configuration: --auth-server: .*(expected|out of range)/,
      });
    }
  });
});
