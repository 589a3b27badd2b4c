import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BroadcastReceiver,
  ClientEvents,
  LocalReplica,
  RESYNC_SYSTEM,
  silentClientLogger,
} from '../../../packages/client/src/client/internal.js';
import type { Message, State } from '../../../packages/client/src/protocol/index.js';
import { ManualClock } from '../../../packages/client/src/state/index.js';
import { creation, dismissal, idsOf, oob, T0, U1, U2 } from './fixtures.js';

function setup() {
  const replica = new LocalReplica({
    uid: U1,
    deviceID: null,
    clock: new ManualClock(T0),
    storage: undefined,
    logger: silentClientLogger,
  });
  const events = new ClientEvents(silentClientLogger);
  const messages: Message[] = [];
  const states: State[] = [];
  let resyncEvents = 0;
  let resyncCalls = 0;
  events.on('message', (m) => messages.push(m));
  events.on('state', (s) => states.push(s));
  events.on('resync', () => resyncEvents++);
  const receiver = new BroadcastReceiver({
    replica,
    events,
    onResync: () => resyncCalls++,
    logger: silentClientLogger,
  });
  return {
    replica,
    receiver,
    messages,
    states,
    resyncs: () => ({ events: resyncEvents, calls: resyncCalls }),
  };
}

describe('BroadcastReceiver (the broadcastMessage handler)', () => {
  it('48: answers a repeated creation "ignored repeat message" and leaves the state as it was', async () => {
    const { replica, receiver, messages } = setup();
    await receiver.receive(creation(U1, 1, T0));
    await receiver.receive(creation(U1, 2, T0 + 1));
    await assert.rejects(receiver.receive(creation(U1, 1, T0)), {
      code: 'GREGOR_ERR_CLIENT_REPEAT_MESSAGE',
      message: 'ignored repeat message',
    });
    assert.deepEqual(idsOf(await replica.state()), [1, 2]);
    assert.equal(messages.length, 2, 'only applied messages are reported');
  });

  it('applies an in-band message, then reports it and the new state', async () => {
    const { receiver, messages, states } = setup();
    await receiver.receive(creation(U1, 1));
    await receiver.receive(dismissal(U1, 2, [1]));
    assert.equal(messages.length, 2);
    assert.deepEqual(states.map(idsOf), [[1], []]);
  });

  it('asks for a sync when an in-band broadcast is older than one already received', async () => {
    const { receiver, resyncs } = setup();
    await receiver.receive(creation(U1, 1, T0 + 10));
    await receiver.receive(creation(U1, 2, T0 + 20));
    assert.deepEqual(resyncs(), { events: 0, calls: 0 }, 'in order: no sync');
    // Consumed through another instance before M2, but delivered after it.
    await receiver.receive(creation(U1, 3, T0 + 15));
    assert.deepEqual(resyncs(), { events: 0, calls: 1 });
    await receiver.receive(creation(U1, 4, T0 + 30));
    assert.deepEqual(resyncs(), { events: 0, calls: 1 }, 'back in order');
  });

  it('reports an out-of-band message without touching the state', async () => {
    const { replica, receiver, messages, states } = setup();
    await receiver.receive(oob(U1, 'sys'));
    assert.equal(messages[0]?.oobm?.system, 'sys');
    assert.deepEqual(states, []);
    assert.deepEqual(idsOf(await replica.state()), []);
  });

  it('turns the server’s resync signal into a resync event and a sync, not a message', async () => {
    const { receiver, messages, resyncs } = setup();
    await receiver.receive(oob(U1, RESYNC_SYSTEM, ''));
    assert.deepEqual(resyncs(), { events: 1, calls: 1 });
    assert.equal(messages.length, 0);
  });

  it('rejects a message with neither part, and another user’s message', async () => {
    const { replica, receiver } = setup();
    await assert.rejects(receiver.receive({}), {
      code: 'GREGOR_ERR_INPUT_INVALID',
      message: 'invalid gregor message',
    });
    await assert.rejects(receiver.receive(creation(U2, 1)), { code: 'GREGOR_ERR_INPUT_INVALID' });
    assert.deepEqual(idsOf(await replica.state()), []);
  });
});
