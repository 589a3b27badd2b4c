/**
 * The one registry of Gregor errors, so every error has one stable code and one class.
 *
 * Each stable string code maps to its class, the keybase1 Status code it travels as
 * (docs/protocol.md, "Errors": 202 BAD_SESSION for authentication, 218 GENERIC otherwise) and a
 * default message. Codes are never reused or renamed; every code is documented in docs/errors.md,
 * and a test keeps the two in step.
 */

/** keybase1 StatusCode values used on the wire. */
export const STATUS_CODE = {
  OK: 0,
  BAD_SESSION: 202,
  GENERIC: 218,
} as const;
export type StatusCode = (typeof STATUS_CODE)[keyof typeof STATUS_CODE];

/** The class family an error code belongs to. */
export const ERROR_KIND = {
  protocol: 'ProtocolError',
  input: 'InputError',
  auth: 'AuthError',
  storage: 'StorageError',
  overload: 'OverloadError',
  closed: 'ClosedError',
  timeout: 'TimeoutError',
  abort: 'AbortError',
  remote: 'RemoteError',
  config: 'ConfigError',
  internal: 'InternalError',
} as const;
export type ErrorKind = keyof typeof ERROR_KIND;

interface ErrorSpec {
  readonly kind: ErrorKind;
  readonly status: StatusCode;
  /** The HTTP status the server's HTTP API answers it with (docs/errors.md). */
  readonly http: number;
  readonly message: string;
}

/** Every error code Gregor produces, with its kind, wire status and default message. */
export const ERROR_CODES = {
  GREGOR_ERR_PROTOCOL_BAD_FRAME: {
    kind: 'protocol',
    status: STATUS_CODE.GENERIC,
    http: 400,
    message: 'malformed frame',
  },
  GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE: {
    kind: 'protocol',
    status: STATUS_CODE.GENERIC,
    http: 413,
    message: 'frame exceeds the maximum size',
  },
  GREGOR_ERR_PROTOCOL_FRAME_TIMEOUT: {
    kind: 'protocol',
    status: STATUS_CODE.GENERIC,
    http: 408,
    message: 'frame not completed within the frame read timeout',
  },
  GREGOR_ERR_PROTOCOL_BAD_MESSAGE: {
    kind: 'protocol',
    status: STATUS_CODE.GENERIC,
    http: 400,
    message: 'malformed rpc message',
  },
  GREGOR_ERR_RPC_UNKNOWN_METHOD: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 404,
    message: 'method not found',
  },
  GREGOR_ERR_RPC_TOO_MANY_PENDING: {
    kind: 'overload',
    status: STATUS_CODE.GENERIC,
    http: 429,
    message: 'too many calls in flight',
  },
  GREGOR_ERR_INPUT_INVALID: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 400,
    message: 'invalid argument',
  },
  GREGOR_ERR_INPUT_TOO_LARGE: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 413,
    message: 'argument exceeds a configured limit',
  },
  GREGOR_ERR_QUOTA_EXCEEDED: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 409,
    message: "the user's item quota is full",
  },
  GREGOR_ERR_RESULT_TOO_LARGE: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 400,
    message: 'the answer would exceed the largest frame',
  },
  GREGOR_ERR_CLIENT_REPEAT_MESSAGE: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 409,
    message: 'ignored repeat message',
  },
  GREGOR_ERR_AUTH_BAD_SESSION: {
    kind: 'auth',
    status: STATUS_CODE.BAD_SESSION,
    http: 401,
    message: 'unauthed session',
  },
  GREGOR_ERR_AUTH_FAILED: {
    kind: 'auth',
    status: STATUS_CODE.BAD_SESSION,
    http: 401,
    message: 'authentication failed',
  },
  GREGOR_ERR_AUTH_MISMATCHED_UID: {
    kind: 'auth',
    status: STATUS_CODE.GENERIC,
    http: 403,
    message: 'mismatched UIDs',
  },
  GREGOR_ERR_AUTH_UNAVAILABLE: {
    kind: 'auth',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'authentication service unavailable',
  },
  GREGOR_ERR_AUTH_REVOKE_UNSUPPORTED: {
    kind: 'auth',
    status: STATUS_CODE.GENERIC,
    http: 409,
    message: 'this authenticator does not revoke sessions itself',
  },
  GREGOR_ERR_STORAGE_FAILED: {
    kind: 'storage',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'storage operation failed',
  },
  GREGOR_ERR_STORAGE_NOT_EPHEMERAL: {
    kind: 'storage',
    status: STATUS_CODE.GENERIC,
    http: 409,
    message: 'attempting to initialize non-ephemeral StateMachine',
  },
  GREGOR_ERR_STORAGE_MIGRATION: {
    kind: 'storage',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'schema migration failed',
  },
  GREGOR_ERR_BUS_FAILED: {
    kind: 'internal',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'pub/sub operation failed',
  },
  GREGOR_ERR_OVERLOADED: {
    kind: 'overload',
    status: STATUS_CODE.GENERIC,
    http: 429,
    message: 'server overloaded, request rejected',
  },
  GREGOR_ERR_CONNECTION_LIMIT: {
    kind: 'overload',
    status: STATUS_CODE.GENERIC,
    http: 429,
    message: 'too many connections',
  },
  GREGOR_ERR_CLOSED: {
    kind: 'closed',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'connection or component closed',
  },
  GREGOR_ERR_LIFECYCLE_STATE: {
    kind: 'internal',
    status: STATUS_CODE.GENERIC,
    http: 500,
    message: 'operation not allowed in the current lifecycle state',
  },
  GREGOR_ERR_TIMEOUT: {
    kind: 'timeout',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'operation timed out',
  },
  GREGOR_ERR_ABORTED: {
    kind: 'abort',
    status: STATUS_CODE.GENERIC,
    http: 503,
    message: 'operation aborted',
  },
  GREGOR_ERR_REMOTE: {
    kind: 'remote',
    status: STATUS_CODE.GENERIC,
    http: 502,
    message: 'the peer returned an error',
  },
  GREGOR_ERR_CONFIG_INVALID: {
    kind: 'config',
    status: STATUS_CODE.GENERIC,
    http: 500,
    message: 'invalid configuration',
  },
  GREGOR_ERR_SETUP_FAILED: {
    kind: 'internal',
    status: STATUS_CODE.GENERIC,
    http: 500,
    message: 'storage or pub/sub setup failed',
  },
  GREGOR_ERR_LISTEN_FAILED: {
    kind: 'internal',
    status: STATUS_CODE.GENERIC,
    http: 500,
    message: 'cannot listen on the configured address',
  },
  GREGOR_ERR_NOT_FOUND: {
    kind: 'input',
    status: STATUS_CODE.GENERIC,
    http: 404,
    message: 'not found',
  },
  GREGOR_ERR_INTERNAL: {
    kind: 'internal',
    status: STATUS_CODE.GENERIC,
    http: 500,
    message: 'internal error',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A stable Gregor error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is one of Gregor's registered codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Base class of every error Gregor raises: a string `code`, a numeric wire `status`, a `cause`. */
export class GregorError extends Error {
  readonly code: ErrorCode;
  readonly status: StatusCode;

  constructor(code: ErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? ERROR_CODES[code].message, options);
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }

  override get name(): string {
    return ERROR_KIND[ERROR_CODES[this.code].kind];
  }
}

export class ProtocolError extends GregorError {}
export class InputError extends GregorError {}
export class AuthError extends GregorError {}
export class StorageError extends GregorError {}
export class OverloadError extends GregorError {}
export class ClosedError extends GregorError {}
export class TimeoutError extends GregorError {}
export class AbortError extends GregorError {}
/** An error the remote peer answered with; `code` is rebuilt from Status.fields when present. */
export class RemoteError extends GregorError {}
export class ConfigError extends GregorError {}
export class InternalError extends GregorError {}

const CLASS_OF_KIND: Record<
  ErrorKind,
  new (
    code: ErrorCode,
    message?: string,
    options?: ErrorOptions,
  ) => GregorError
> = {
  protocol: ProtocolError,
  input: InputError,
  auth: AuthError,
  storage: StorageError,
  overload: OverloadError,
  closed: ClosedError,
  timeout: TimeoutError,
  abort: AbortError,
  remote: RemoteError,
  config: ConfigError,
  internal: InternalError,
};

/** Build the right subclass for `code`; the message defaults to the registry's. */
export function gregorError(
  code: ErrorCode,
  message?: string,
  options?: ErrorOptions,
): GregorError {
  const Class = CLASS_OF_KIND[ERROR_CODES[code].kind];
  return new Class(code, message, options);
}

const PRIVATE_KINDS: ReadonlySet<ErrorKind> = new Set(['storage', 'internal']);

/** True when `err`'s message may hold internal detail (SQL, paths) and must not leave the process. */
export function hasPrivateDetail(err: GregorError): boolean {
  return PRIVATE_KINDS.has(ERROR_CODES[err.code].kind);
}

/**
 * The code and message of `err` as they may be sent to a peer (on the wire, or in an HTTP answer):
 * a storage or internal error, or anything that is not a GregorError, says only its registry
 * message; the detail stays in the logs.
 */
export function publicError(err: unknown): { code: ErrorCode; message: string } {
  if (!(err instanceof GregorError)) {
    return { code: 'GREGOR_ERR_INTERNAL', message: ERROR_CODES.GREGOR_ERR_INTERNAL.message };
  }
  return {
    code: err.code,
    message: hasPrivateDetail(err) ? ERROR_CODES[err.code].message : err.message,
  };
}

/** True when `err` is a GregorError, optionally with the given code. */
export function isGregorError(err: unknown, code?: ErrorCode): err is GregorError {
  return err instanceof GregorError && (code === undefined || err.code === code);
}

/**
 * One problem with options: the option as the user wrote it (a dotted path such as
 * `consumeLimits.maxItems`, a flag such as `--storage`) and what is wrong; no option for a
 * problem between several options.
 */
export interface OptionProblem {
  readonly option?: string;
  readonly message: string;
}

/**
 * The one message format of GREGOR_ERR_CONFIG_INVALID for bad options: `<what>: <option>: <problem>`;
 * several problems are listed under `<what>:`, one per indented line. `what` says whose options
 * they are ("invalid client option").
 */
export function configError(what: string, problems: readonly OptionProblem[]): GregorError {
  const lines = problems.map((p) =>
    p.option === undefined ? p.message : `${p.option}: ${p.message}`,
  );
  const text = lines.length === 1 ? ` ${lines[0]}` : lines.map((line) => `\n  ${line}`).join('');
  return gregorError('GREGOR_ERR_CONFIG_INVALID', `${what}:${text}`);
}

/** The issues of a failed zod parse, as far as {@link parseOptions} reads them. */
interface SchemaResult<T> {
  readonly success: boolean;
  readonly data?: T;
  readonly error?: {
    readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
  };
}

/** `a.b.0` for a nested option; `options` for the whole object. */
export function dottedOption(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'options' : path.map(String).join('.');
}

/**
 * Check `input` with a zod `schema`; throws {@link configError} naming each bad option once (its
 * first issue), by `nameOf` its path (dotted by default).
 */
export function parseOptions<T>(
  what: string,
  schema: { safeParse(input: unknown): SchemaResult<T> },
  input: unknown,
  nameOf: (path: readonly PropertyKey[]) => string = dottedOption,
): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as T;
  const byOption = new Map<string, string>();
  for (const issue of parsed.error?.issues ?? []) {
    const option = nameOf(issue.path);
    if (!byOption.has(option)) byOption.set(option, issue.message);
  }
  throw configError(
    what,
    [...byOption].map(([option, message]) => ({ option, message })),
  );
}
