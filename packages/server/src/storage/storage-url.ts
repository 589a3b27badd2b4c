/**
 * The one reader of database URLs: `sqlite:PATH` (also `sqlite://relative`, `sqlite:///absolute`
 * and `sqlite::memory:`), `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`. The
 * library's openSqlEngine and gregord's --storage both read URLs here, so they accept the same
 * schemes and reject the same text with the same message.
 */
import { gregorError } from 'gregor-client/errors';
import { DIALECT_NAME, type DialectName } from './dialect.js';

/** Each URL scheme (lower case, with its colon) and the dialect it opens. */
export const STORAGE_URL_SCHEMES: Readonly<Record<string, DialectName>> = Object.freeze({
  'sqlite:': DIALECT_NAME.sqlite,
  'postgres:': DIALECT_NAME.postgres,
  'postgresql:': DIALECT_NAME.postgres,
  'mysql:': DIALECT_NAME.mysql,
  'mariadb:': DIALECT_NAME.mysql,
});

/** A database URL, read: the dialect, and the URL in the form that dialect's driver takes. */
export type StorageUrl =
  | {
      readonly dialect: typeof DIALECT_NAME.sqlite;
      /** `sqlite:PATH`, whatever slashes were given. */
      readonly url: string;
      /** A file path, or `:memory:`. */
      readonly path: string;
    }
  | {
      readonly dialect: typeof DIALECT_NAME.postgres | typeof DIALECT_NAME.mysql;
      /** As given, except that `mariadb:` is spelled `mysql:` (the driver knows only that). */
      readonly url: string;
    };

const EXPECTED =
  'expected sqlite:PATH, sqlite::memory:, postgres://…, postgresql://…, mysql://… or mariadb://…';

/** The text with any `user:password@` password replaced, for messages and logs. */
export function redactPassword(text: string): string {
  return text
    .replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
    .replace(/^([^:/@]*):[^@/]*@/, '$1:***@');
}

function invalid(problem: string): Error {
  return gregorError('GREGOR_ERR_CONFIG_INVALID', `storage url: ${problem}`);
}

/**
 * Read a database URL; throws GREGOR_ERR_CONFIG_INVALID (`storage url: expected …, got "…"`, the
 * password hidden) for a scheme no dialect reads, a sqlite: URL without a path, or a server URL
 * without a host.
 */
export function parseStorageUrl(text: string): StorageUrl {
  const scheme = /^[a-z]+:/i.exec(text)?.[0].toLowerCase();
  const dialect = scheme === undefined ? undefined : STORAGE_URL_SCHEMES[scheme];
  const got = `got ${JSON.stringify(redactPassword(text.length > 80 ? `${text.slice(0, 80)}…` : text))}`;
  if (dialect === undefined || scheme === undefined) throw invalid(`${EXPECTED}, ${got}`);
  const rest = text.slice(scheme.length);
  if (dialect === DIALECT_NAME.sqlite) {
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw invalid(`sqlite: needs a file path or :memory:, ${got}`);
    return { dialect, url: `sqlite:${path}`, path };
  }
  const url = `${dialect === DIALECT_NAME.mysql ? 'mysql:' : scheme}${rest}`;
  if (!rest.startsWith('//') || rest.length === 2 || !URL.canParse(url)) {
    throw invalid(`expected ${scheme}//[USER[:PASSWORD]@]HOST[:PORT]/DATABASE, ${got}`);
  }
  return { dialect, url };
}
