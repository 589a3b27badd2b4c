/**
 * The directories gregord keeps files in (the data directory, the SQLite file's directory),
 * checked before anything is written there, so that a bad path fails with one line naming the
 * option instead of a driver's error: a regular file where a directory belongs, a directory
 * SQLite cannot write its -wal and -shm files into.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { gregorError } from 'gregor-client/errors';
import type { OptionKey } from './config-table.js';
import type { CreatedPaths } from './created-paths.js';
import { startupError } from './startup-error.js';

/** What a directory is for, in messages, and the options that choose it. */
export interface DirectoryUse {
  readonly what: string;
  readonly options: readonly OptionKey[];
  /** Files will be created in it, now or while running. */
  readonly isWritten: boolean;
}

/**
 * Make sure `dir` is a directory, creating it (and recording it in `created`) when missing, and
 * writable when `use.isWritten`. Throws GREGOR_ERR_SETUP_FAILED naming `use.options`.
 */
export async function prepareDirectory(
  dir: string,
  use: DirectoryUse,
  created: CreatedPaths,
): Promise<void> {
  const subject = `${use.what} ${JSON.stringify(dir)}`;
  const found = await stat(dir).catch((err: unknown) => err as NodeJS.ErrnoException);
  if (found instanceof Error && found.code === 'ENOENT') {
    try {
      await created.mkdir(dir);
    } catch (err) {
      throw startupError('GREGOR_ERR_SETUP_FAILED', `cannot create ${subject}`, err, use.options);
    }
  } else if (found instanceof Error) {
    throw startupError('GREGOR_ERR_SETUP_FAILED', subject, found, use.options);
  } else if (!found.isDirectory()) {
    const notDir = gregorError('GREGOR_ERR_SETUP_FAILED', 'it exists and is not a directory');
    throw startupError('GREGOR_ERR_SETUP_FAILED', subject, notDir, use.options);
  }
  if (!use.isWritten) return;
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    throw startupError('GREGOR_ERR_SETUP_FAILED', `${subject} is not writable`, err, use.options);
  }
}

/** The files SQLite keeps for the database at `path`. */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/** True when `path` exists (anything: a file, a directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
