/**
 * The token secret of the embedded default: generated on the first start and kept in a file only
 * its owner can read (mode 0600), so that `gregor token --data-dir` can mint tokens gregord
 * accepts, across restarts, without anyone choosing a secret.
 *
 * An existing secret is only read: the data directory may be a read-only mount holding it (a
 * Kubernetes or Docker secret). A secret its group or others can read is refused, since anyone
 * who reads it can mint a token for any user, the superuser included.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gregorError } from 'gregor-client/errors';
import { generateTokenSecret, MIN_TOKEN_SECRET_BYTES } from '../auth/index.js';
import { CreatedPaths } from './created-paths.js';

/** A secret read from its file. */
export interface LoadedTokenSecret {
  readonly secret: string;
  /** True when this call generated and wrote it. */
  readonly isNew: boolean;
  /** True when the file can be read by its group or others (it should not). */
  readonly isExposed: boolean;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}

/**
 * Read the secret at `path` (surrounding whitespace ignored). Throws GREGOR_ERR_CONFIG_INVALID when
 * the file is missing, unreadable or too short.
 */
export async function readTokenSecretFile(path: string): Promise<LoadedTokenSecret> {
  let text: string;
  let mode: number;
  try {
    text = await readFile(path, 'utf8');
    mode = (await stat(path)).mode;
  } catch (err) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `cannot read the token secret ${path}: ${errnoOf(err)}`,
      { cause: err },
    );
  }
  const secret = text.trim();
  if (Buffer.byteLength(secret, 'utf8') < MIN_TOKEN_SECRET_BYTES) {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `the token secret in ${path} is shorter than ${MIN_TOKEN_SECRET_BYTES} bytes`,
    );
  }
  return { secret, isNew: false, isExposed: (mode & 0o077) !== 0 };
}

/** The secret at `path`, refused when its group or others can read it. */
async function readPrivateTokenSecret(path: string): Promise<LoadedTokenSecret> {
  const loaded = await readTokenSecretFile(path);
  if (loaded.isExposed) {
    const mode = ((await stat(path)).mode & 0o777).toString(8).padStart(4, '0');
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `the token secret ${path} can be read by its group or others (mode ${mode}); run chmod 600 ${path}`,
    );
  }
  return loaded;
}

/**
 * The secret at `path`, generating it (32 random bytes, hex) when the file does not exist yet.
 * An existing file is read and never written, so a read-only directory holding it works. A new
 * one's directory is created (mode 0700) if missing; the file is written in full under a
 * temporary name (mode 0600) and then linked into place, which fails if it exists: two processes
 * starting at once (`--workers`) end up with the same secret, and neither can read a half-written
 * file. What this call creates is recorded in `created`, for the caller to remove if its start
 * fails. Throws GREGOR_ERR_CONFIG_INVALID naming the file.
 */
export async function loadOrCreateTokenSecret(
  path: string,
  created: CreatedPaths = new CreatedPaths(),
): Promise<LoadedTokenSecret> {
  try {
    return await readPrivateTokenSecret(path);
  } catch (err) {
    if (errnoOf((err as Error).cause) !== 'ENOENT') throw err;
  }
  const secret = generateTokenSecret();
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await created.mkdir(dirname(path));
    await writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    // The umask may have narrowed 0600 further; set it exactly.
    await chmod(temporary, 0o600);
    await link(temporary, path);
    created.addFile(path);
    return { secret, isNew: true, isExposed: false };
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return await readPrivateTokenSecret(path);
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `cannot create the token secret ${path}: ${errnoOf(err)}`,
      { cause: err },
    );
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
