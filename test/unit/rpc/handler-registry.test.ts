import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandlerRegistry, splitMethodName } from '../../../packages/client/src/rpc/index.js';

describe('HandlerRegistry', () => {
  it('splits a method name at its last dot, as Go does', () => {
    assert.deepEqual(splitMethodName('gregor.1.incoming.sync'), {
      protocol: 'gregor.1.incoming',
      method: 'sync',
    });
    assert.deepEqual(splitMethodName('bare'), { protocol: '', method: 'bare' });
  });

  it("tells an unknown protocol from an unknown method with Go's texts", () => {
    const registry = new HandlerRegistry().register('gregor.1.incoming.ping', () => 'pong');
    assert.equal(
      registry.lookup('gregor.1.incoming.ping').handler(null, undefined as never),
      'pong',
    );
    assert.throws(() => registry.lookup('gregor.1.incoming.nope'), {
      code: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
      message: "method 'nope' not found in protocol 'gregor.1.incoming'",
    });
    assert.throws(() => registry.lookup('gregor.1.remind.getReminders'), {
      code: 'GREGOR_ERR_RPC_UNKNOWN_METHOD',
      message: 'protocol not found: gregor.1.remind',
    });
  });

  it('refuses a second handler for a name, and forgets a protocol with its last method', () => {
    const registry = new HandlerRegistry().register('p.a', () => 1).register('p.b', () => 2);
    assert.throws(() => registry.register('p.a', () => 3), { code: 'GREGOR_ERR_CONFIG_INVALID' });
    assert.equal(registry.unregister('p.a'), true);
    assert.equal(registry.unregister('p.a'), false);
    assert.equal(registry.has('p.b'), true);
    assert.throws(() => registry.lookup('p.a'), {
      message: "method 'a' not found in protocol 'p'",
    });
    registry.unregister('p.b');
    assert.throws(() => registry.lookup('p.a'), { message: 'protocol not found: p' });
  });
});
