/**
 * The one boundary where errors become wire values and back, so no other module decides what
 * an error looks like on the wire.
 *
 * Keybase servers answer with a keybase1 Status map `{code, desc, fields, name}` (docs/protocol.md,
 * "Errors"): 218 GENERIC for most errors, 202 BAD_SESSION for a bad session. Our own
 * string code rides in `fields` as `{key: 'code', value: 'GREGOR_ERR_…'}` so a Gregor peer rebuilds
 * the typed error; other peers ignore `fields`. Plain Node peers send a string instead, and nil or
 * code 0 means success.
 */
import {
  ERROR_CODES,
  type ErrorCode,
  type GregorError,
  gregorError,
  isErrorCode,
  publicError,
  STATUS_CODE,
  type StatusCode,
} from '../errors.js';

/** A keybase1 StringKVPair. */
export interface StatusField {
  key: string;
  value: string;
}

/** A keybase1 Status as it travels on the wire (keys in go-codec order once encoded). */
export interface Status {
  code: number;
  desc: string;
  fields: StatusField[] | null;
  name: string;
}

/** The Status field that carries our string code. */
export const STATUS_FIELD_CODE = 'code';

const STATUS_NAME: Record<StatusCode, string> = {
  [STATUS_CODE.OK]: 'OK',
  [STATUS_CODE.BAD_SESSION]: 'BAD_SESSION',
  [STATUS_CODE.GENERIC]: 'GENERIC',
};

/**
 * Kinds whose messages may quote a driver, a query or another internal detail; on the wire they
 * carry only the registry's message. The full error stays in the caller's log.
 */

function statusOf(code: ErrorCode, desc: string): Status {
  const status = ERROR_CODES[code].status;
  return {
    code: status,
    desc,
    fields: [{ key: STATUS_FIELD_CODE, value: code }],
    name: STATUS_NAME[status],
  };
}

/**
 * The Status to send for `err`. A GregorError keeps its code and message (storage and internal
 * errors only their registry message); anything else becomes 218 GREGOR_ERR_INTERNAL with a safe
 * description, never a stack or a driver's text.
 */
export function toStatus(err: unknown): Status {
  const { code, message } = publicError(err);
  return statusOf(code, message);
}

const utf8 = new TextDecoder();

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return utf8.decode(value);
  return '';
}

function codeFromFields(fields: unknown): ErrorCode | undefined {
  if (!Array.isArray(fields)) return undefined;
  for (const field of fields) {
    if (typeof field !== 'object' || field === null) continue;
    const { key, value } = field as Record<string, unknown>;
    if (text(key) !== STATUS_FIELD_CODE) continue;
    const code = text(value);
    if (isErrorCode(code)) return code;
  }
  return undefined;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

/**
 * The typed error an error slot of a response carries, or `null` for success (nil, "", code 0).
 * A Status whose fields carry a known Gregor code becomes that code's class; any other error is a
 * RemoteError (GREGOR_ERR_REMOTE) whose message is the peer's text and whose `cause` is the raw
 * Status map (its `code` is the peer's numeric status, e.g. 202).
 */
export function fromStatus(value: unknown): GregorError | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const message = text(value);
    return message === '' ? null : gregorError('GREGOR_ERR_REMOTE', message);
  }
  if (!isPlainMap(value)) {
    return gregorError('GREGOR_ERR_REMOTE', 'the peer answered with an error of an unknown shape');
  }
  if (value.code === STATUS_CODE.OK) return null;
  const desc = text(value.desc) || text(value.name) || `status ${String(value.code)}`;
  const code = codeFromFields(value.fields) ?? 'GREGOR_ERR_REMOTE';
  return gregorError(code, desc, { cause: value });
}
