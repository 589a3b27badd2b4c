import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthError,
  GregorError,
  gregorError,
  InputError,
  RemoteError,
} from '../../../packages/client/src/errors.js';
import {
  decodeMsgpack,
  encodeCanonical,
  toHex,
} from '../../../packages/client/src/protocol/index.js';
import { fromStatus, toStatus } from '../../../packages/client/src/rpc/index.js';

/** Through the wire and back: what a peer would decode. */
const overTheWire = (value: unknown): unknown => decodeMsgpack(encodeCanonical(value));

describe('toStatus', () => {
  it('sends a GregorError as 218 GENERIC with its code in fields', () => {
    const err = gregorError('GREGOR_ERR_INPUT_INVALID', 'invalid consume call: missing body');
    assert.deepEqual(toStatus(err), {
      code: 218,
      desc: 'invalid consume call: missing body',
      fields: [{ key: 'code', value: 'GREGOR_ERR_INPUT_INVALID' }],
      name: 'GENERIC',
    });
  });

  it('sends a bad session as 202 BAD_SESSION (case 51)', () => {
    const status = toStatus(gregorError('GREGOR_ERR_AUTH_BAD_SESSION', 'unauthed session'));
    assert.equal(status.code, 202);
    assert.equal(status.name, 'BAD_SESSION');
    assert.equal(status.desc, 'unauthed session');
  });

  it('sends an unknown error as 218 with a safe description, never its text or stack', () => {
    const status = toStatus(new Error('relation "items" does not exist: SELECT * FROM items'));
    assert.deepEqual(status, {
      code: 218,
      desc: 'internal error',
      fields: [{ key: 'code', value: 'GREGOR_ERR_INTERNAL' }],
      name: 'GENERIC',
    });
    assert.equal(toStatus('a string').desc, 'internal error');
    assert.equal(toStatus(undefined).code, 218);
  });

  it('hides the detail of storage and internal errors behind the registry message', () => {
    const err = gregorError('GREGOR_ERR_STORAGE_FAILED', 'ER_DUP_ENTRY: INSERT INTO messages ...');
    assert.equal(toStatus(err).desc, 'storage operation failed');
    assert.equal(
      toStatus(gregorError('GREGOR_ERR_INTERNAL', 'x is undefined')).desc,
      'internal error',
    );
  });

  it('encodes with go-codec key order: code, desc, fields, name', () => {
    const hex = toHex(encodeCanonical(toStatus(gregorError('GREGOR_ERR_TIMEOUT', 't'))));
    assert.ok(hex.startsWith(`84a4${toHex(new TextEncoder().encode('code'))}ccda`), hex);
    const keys = Object.keys(overTheWire(toStatus(new Error('x'))) as object);
    assert.deepEqual(keys, ['code', 'desc', 'fields', 'name']);
  });
});

describe('fromStatus', () => {
  it('reads success from nil, undefined, "" and code 0', () => {
    assert.equal(fromStatus(null), null);
    assert.equal(fromStatus(undefined), null);
    assert.equal(fromStatus(''), null);
    assert.equal(fromStatus({ code: 0, desc: 'OK', fields: null, name: 'OK' }), null);
  });

  it('rebuilds our typed error from a Status that crossed the wire', () => {
    const sent = gregorError('GREGOR_ERR_AUTH_BAD_SESSION', 'unauthed session');
    const got = fromStatus(overTheWire(toStatus(sent)));
    assert.ok(got instanceof AuthError);
    assert.equal(got.code, 'GREGOR_ERR_AUTH_BAD_SESSION');
    assert.equal(got.status, 202);
    assert.equal(got.message, 'unauthed session');
    const input = fromStatus(
      overTheWire(toStatus(gregorError('GREGOR_ERR_RPC_UNKNOWN_METHOD', 'protocol not found: x'))),
    );
    assert.ok(input instanceof InputError);
    assert.equal(input.message, 'protocol not found: x');
  });

  it('reads a Go Status without our code as a RemoteError keeping the raw Status as cause', () => {
    const got = fromStatus({
      code: 202,
      desc: 'unauthed session',
      fields: null,
      name: 'BAD_SESSION',
    });
    assert.ok(got instanceof RemoteError);
    assert.equal(got.code, 'GREGOR_ERR_REMOTE');
    assert.equal(got.message, 'unauthed session');
    assert.equal((got.cause as { code: number }).code, 202);
  });

  it('ignores unknown codes and other fields, and reads bin text', () => {
    const enc = new TextEncoder();
    const got = fromStatus({
      code: 218,
      desc: enc.encode('boom'),
      fields: [{ key: 'other', value: 'x' }, { key: 'code', value: 'NOT_OURS' }, 7],
      name: 'GENERIC',
    });
    assert.ok(got instanceof RemoteError);
    assert.equal(got.message, 'boom');
  });

  it('reads a plain Node string error as a RemoteError with that message', () => {
    const got = fromStatus('Error: method not found');
    assert.ok(got instanceof RemoteError);
    assert.equal(got.message, 'Error: method not found');
  });

  it('reads an error of unknown shape as a RemoteError', () => {
    for (const value of [42, [1, 2], true]) {
      const got = fromStatus(value);
      assert.ok(got instanceof GregorError);
      assert.equal(got.code, 'GREGOR_ERR_REMOTE');
    }
  });

  it('names a Status without a desc by its name or code', () => {
    assert.equal(fromStatus({ code: 218, name: 'GENERIC' })?.message, 'GENERIC');
    assert.equal(fromStatus({ code: 1234 })?.message, 'status 1234');
  });
});
