import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, UID } from '../../../packages/client/src/protocol/index.js';
import { Delivery } from '../../../packages/server/src/server/delivery.js';
import { Pipeline, type PipelineConsumer } from '../../../packages/server/src/server/pipeline.js';

const U1 = new Uint8Array(16).fill(1) as UID;
const OOBM: Message = { oobm: { uid: U1, system: 's', body: new Uint8Array([1]) } };

function consumer(
  name: string,
  log: string[],
  opts: { isCritical?: boolean; fails?: boolean; async?: boolean } = {},
): PipelineConsumer {
  return {
    name,
    isCritical: opts.isCritical ?? false,
    consume: async () => {
      if (opts.async) await new Promise((r) => setTimeout(r, 5));
      log.push(name);
      if (opts.fails) throw new Error(`${name} failed`);
    },
  };
}

describe('Pipeline', () => {
  it('runs every consumer in order, waiting for each', async () => {
    const log: string[] = [];
    const p = new Pipeline(
      [
        consumer('storage', log, { isCritical: true, async: true }),
        consumer('publisher', log),
        consumer('broadcaster', log, { async: true }),
      ],
      () => assert.fail('no consumer fails'),
    );
    await p.run(new Delivery(U1, OOBM, undefined));
    assert.deepEqual(log, ['storage', 'publisher', 'broadcaster']);
  });

  it('runs later consumers when a non-critical one fails, and reports the failure', async () => {
    const log: string[] = [];
    const failures: string[] = [];
    const p = new Pipeline(
      [
        consumer('storage', log, { isCritical: true }),
        consumer('publisher', log, { fails: true }),
        consumer('broadcaster', log),
      ],
      (c, err) => failures.push(`${c.name}: ${(err as Error).message}`),
    );
    await p.run(new Delivery(U1, OOBM, undefined));
    assert.deepEqual(log, ['storage', 'publisher', 'broadcaster']);
    assert.deepEqual(failures, ['publisher: publisher failed']);
  });

  it('stops at a failing critical consumer and rejects with its error (rule 1)', async () => {
    const log: string[] = [];
    const p = new Pipeline(
      [
        consumer('storage', log, { isCritical: true, fails: true }),
        consumer('publisher', log),
        consumer('broadcaster', log),
      ],
      () => assert.fail('a critical failure is not reported as a consumer failure'),
    );
    await assert.rejects(p.run(new Delivery(U1, OOBM, undefined)), /storage failed/);
    assert.deepEqual(log, ['storage']);
  });

  it('lets a consumer replace the message before the broadcast bytes are encoded', async () => {
    const stamped: Message = { oobm: { uid: U1, system: 'stamped', body: new Uint8Array([2]) } };
    const seen: Uint8Array[] = [];
    const p = new Pipeline(
      [
        {
          name: 'storage',
          isCritical: true,
          consume: (d) => {
            d.message = stamped;
          },
        },
        { name: 'publisher', isCritical: false, consume: (d) => void seen.push(d.encoded) },
        { name: 'broadcaster', isCritical: false, consume: (d) => void seen.push(d.encoded) },
      ],
      () => assert.fail('no consumer fails'),
    );
    await p.run(new Delivery(U1, OOBM, undefined));
    assert.equal(seen.length, 2);
    assert.equal(seen[0], seen[1], 'encoded once, the same bytes for both');
    assert.ok(Buffer.from(seen[0]!).includes(Buffer.from('stamped')));
  });

  describe('runBatch', () => {
    const oobm = (system: string): Message => ({
      oobm: { uid: U1, system, body: new Uint8Array([1]) },
    });
    const nameOf = (d: Delivery): string => d.message.oobm!.system;

    it('hands a stage every delivery before the first answers, then the next stage in order', async () => {
      const log: string[] = [];
      let storing = 0;
      const p = new Pipeline(
        [
          {
            name: 'storage',
            isCritical: true,
            consume: async (d) => {
              storing++;
              log.push(`store ${nameOf(d)} (${storing} in flight)`);
              await new Promise((r) => setTimeout(r, 5));
              storing--;
            },
          },
          {
            name: 'broadcaster',
            isCritical: false,
            consume: (d) => void log.push(`send ${nameOf(d)}`),
          },
        ],
        () => assert.fail('no consumer fails'),
      );
      const outcomes = await p.runBatch(
        ['a', 'b', 'c'].map((s) => new Delivery(U1, oobm(s), undefined)),
      );
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'fulfilled'],
      );
      assert.deepEqual(log, [
        'store a (1 in flight)',
        'store b (2 in flight)',
        'store c (3 in flight)',
        'send a',
        'send b',
        'send c',
      ]);
    });

    it('drops a delivery whose critical stage failed, alone; a later failure is only reported (rule 1)', async () => {
      const log: string[] = [];
      const failures: string[] = [];
      const p = new Pipeline(
        [
          {
            name: 'storage',
            isCritical: true,
            consume: (d) => {
              if (nameOf(d) === 'bad') throw new Error('not stored');
            },
          },
          {
            name: 'publisher',
            isCritical: false,
            consume: (d) => {
              log.push(`publish ${nameOf(d)}`);
              if (nameOf(d) === 'a') throw new Error('bus down');
            },
          },
          {
            name: 'broadcaster',
            isCritical: false,
            consume: (d) => void log.push(`send ${nameOf(d)}`),
          },
        ],
        (c, err, d) => failures.push(`${c.name} ${nameOf(d)}: ${(err as Error).message}`),
      );
      const outcomes = await p.runBatch(
        ['a', 'bad', 'c'].map((s) => new Delivery(U1, oobm(s), undefined)),
      );
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as Error).message)),
        ['ok', 'not stored', 'ok'],
      );
      assert.deepEqual(log, ['publish a', 'publish c', 'send a', 'send c']);
      assert.deepEqual(failures, ['publisher a: bus down']);
    });
  });
});
