import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import FakeTimers from '@sinonjs/fake-timers';
import {
  backoffDelayMs,
  clientReconnectDelayMs,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  isAuthRefusal,
  Reconnector,
} from '../../../packages/client/src/client/internal.js';
import { type GregorError, gregorError } from '../../../packages/client/src/errors.js';
import { fakeTime } from './fixtures.js';

const dropped = gregorError('GREGOR_ERR_CLOSED', 'connection lost');
const refused = gregorError('GREGOR_ERR_AUTH_FAILED');

describe('clientReconnectDelayMs (the shared policy, and auth refusals)', () => {
  const half = () => 0.5;

  it('applies the shared policy with the device backoff', () => {
    assert.equal(clientReconnectDelayMs(false, 1, dropped, half), false);
    assert.equal(clientReconnectDelayMs(2, 2, dropped, half), backoffDelayMs(2, undefined, half));
    assert.equal(clientReconnectDelayMs(2, 3, dropped, half), false);
    assert.equal(
      clientReconnectDelayMs(undefined, 1_000_000, dropped, half),
      DEFAULT_RECONNECT_MAX_DELAY_MS / 2,
    );
  });

  it('the built-in policies give up on a refused token; a function decides for itself', () => {
    assert.equal(clientReconnectDelayMs(undefined, 1, refused), false);
    assert.equal(clientReconnectDelayMs(true, 1, refused), false);
    assert.equal(clientReconnectDelayMs(5, 1, refused), false);
    assert.equal(clientReconnectDelayMs({ baseDelayMs: 1 }, 1, refused), false);
    assert.equal(
      clientReconnectDelayMs((_attempt: number, _cause: GregorError) => 7, 1, refused),
      7,
    );
  });
});

describe('isAuthRefusal', () => {
  it('knows our auth codes and a Go server’s Status 202 BAD_SESSION', () => {
    assert.equal(isAuthRefusal(refused), true);
    assert.equal(isAuthRefusal(gregorError('GREGOR_ERR_AUTH_BAD_SESSION')), true);
    const goBadSession = gregorError('GREGOR_ERR_REMOTE', 'unauthed session', {
      cause: { code: 202, name: 'BAD_SESSION', desc: 'unauthed session', fields: null },
    });
    assert.equal(isAuthRefusal(goBadSession), true);
  });

  it('does not count an unreachable authenticator or a dropped connection', () => {
    assert.equal(isAuthRefusal(gregorError('GREGOR_ERR_AUTH_UNAVAILABLE')), false);
    assert.equal(isAuthRefusal(dropped), false);
    assert.equal(
      isAuthRefusal(gregorError('GREGOR_ERR_REMOTE', 'x', { cause: { code: 218 } })),
      false,
    );
  });
});

describe('Reconnector', () => {
  it('counts failures, and starts again at 1 after a success', () => {
    const r = new Reconnector((attempt) => attempt, fakeTime(FakeTimers.createClock()).timers);
    assert.equal(r.next(dropped), 1);
    assert.equal(r.next(dropped), 2);
    assert.equal(r.attempt, 2);
    r.reset();
    assert.equal(r.next(dropped), 1);
  });

  it('waits out the delay on its timers', async () => {
    const fake = FakeTimers.createClock();
    const r = new Reconnector(undefined, fakeTime(fake).timers);
    let isDone = false;
    const waiting = r.wait(1000).then(() => {
      isDone = true;
    });
    await fake.tickAsync(999);
    assert.equal(isDone, false);
    await fake.tickAsync(1);
    await waiting;
    assert.equal(isDone, true);
  });

  it('stop() ends a wait at once and refuses further attempts', async () => {
    const fake = FakeTimers.createClock();
    const r = new Reconnector(undefined, fakeTime(fake).timers);
    const waiting = r.wait(60_000);
    r.stop();
    await waiting;
    assert.equal(fake.countTimers(), 0, 'its timer is cleared');
    assert.equal(r.isStopped, true);
    assert.equal(r.next(dropped), false);
    await r.wait(60_000);
  });
});
