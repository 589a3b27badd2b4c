import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { resolveClientSettings } from '../../../packages/client/src/client/client-options.js';
import { configError, parseOptions } from '../../../packages/client/src/errors.js';
import { resolveRpcLimits } from '../../../packages/client/src/rpc/options.js';
import { MemoryEngine } from '../../../packages/client/src/state/index.js';
import { readOptions, tokenSchema } from '../../../packages/server/src/cli/gregor-options.js';
import { parseGregordConfig } from '../../../packages/server/src/daemon/config.js';
import { InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import { resolveRedisBusOptions } from '../../../packages/server/src/pubsub/redis-bus-options.js';
import { resolveServerSettings } from '../../../packages/server/src/server/server-options.js';
import { openSqlEngine } from '../../../packages/server/src/storage/index.js';
import { resolveSqlEngineOptions } from '../../../packages/server/src/storage/options.js';

/** The message of the GREGOR_ERR_CONFIG_INVALID `run` throws. */
function messageOf(run: () => unknown): string {
  let message = '';
  assert.throws(run, (err: Error & { code?: string }) => {
    message = err.message;
    return err.code === 'GREGOR_ERR_CONFIG_INVALID';
  });
  return message;
}

const server = {
  stateMachine: new MemoryEngine(),
  bus: new InProcessBus(),
  authenticator: {
    authenticate: () => Promise.reject(new Error('unused')),
    onRevoke: () => () => undefined,
    close: async () => undefined,
  },
  listen: { tcp: { host: '127.0.0.1', port: 0 } },
};

describe('option errors: one format, `<what>: <option>: <problem>`', () => {
  it('is the format of every options checker, naming the option as the user wrote it', () => {
    const cases: [string, () => unknown, string][] = [
      ['rpc', () => resolveRpcLimits({ maxFrameBytes: -1 }), 'invalid rpc option: maxFrameBytes: '],
      [
        'client',
        () => resolveClientSettings({ uid: new Uint8Array(16), token: 't', connect: 5 } as never),
        'invalid client option: connect: ',
      ],
      [
        'server',
        () => resolveServerSettings({ ...server, consumeLimits: { maxBodyBytes: 0 } } as never),
        'invalid server option: consumeLimits.maxBodyBytes: ',
      ],
      [
        'redis bus',
        () => resolveRedisBusOptions({ url: 'http://x' }),
        'invalid redis bus option: url: ',
      ],
      [
        'sql engine',
        () => resolveSqlEngineOptions({ poolSize: 0 }),
        'invalid sql engine option: poolSize: ',
      ],
      [
        'gregord',
        () => parseGregordConfig({ flags: { workers: 'many' } }),
        'invalid configuration: --workers: ',
      ],
      [
        'gregor',
        () => readOptions(tokenSchema, { superuser: true, ttl: 'soon' }),
        'invalid option: --ttl: ',
      ],
    ];
    for (const [who, run, lead] of cases) {
      const message = messageOf(run);
      assert.ok(message.startsWith(lead), `${who}: ${JSON.stringify(message)}`);
      assert.doesNotMatch(message, /\n/, who);
    }
  });

  it('is also the format of problems found after the schema', async () => {
    await assert.rejects(openSqlEngine('sqlite::memory:', { schema: 'x' }), {
      code: 'GREGOR_ERR_CONFIG_INVALID',
      message: /^invalid sql engine option: schema: only PostgreSQL has schemas/,
    });
  });

  it('names the whole object `options` and lists several bad options one per line', () => {
    const schema = z.strictObject({ a: z.number(), b: z.object({ c: z.string() }) });
    assert.match(
      messageOf(() => parseOptions('invalid x', schema, 5)),
      /^invalid x: options: /,
    );
    const message = messageOf(() => parseOptions('invalid x', schema, { a: 'no', b: { c: 1 } }));
    assert.match(message, /^invalid x:\n {2}a: .+\n {2}b\.c: .+$/);
  });

  it('reports each option once, with its first problem', () => {
    const schema = z.object({ a: z.string().min(5).regex(/^x/) });
    const message = messageOf(() => parseOptions('invalid x', schema, { a: 'y' }));
    assert.doesNotMatch(message, /\n/);
    assert.match(message, /^invalid x: a: /);
  });

  it('lists problems without an option as they are', () => {
    const err = configError('invalid configuration', [{ message: 'give one' }]);
    assert.equal(err.message, 'invalid configuration: give one');
  });
});
