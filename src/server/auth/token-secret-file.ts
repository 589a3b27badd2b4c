/**
 * The token secret of the embedded default: generated on the first start and kept in a file only
 * its owner can read (mode 0600), so that `gregor token --data-dir` can mint tokens gregord
 * accepts, across restarts, without anyone choosing a secret.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gregorError } from '../../errors.js';
import { generateTokenSecret, MIN_TOKEN_SECRET_BYTES } from './signed-token.js';

/** A secret read from its file. */
export interface LoadedTokenSecret {
  readonly secret: string;
  /** True when this call generated and wrote it. */
  readonly isNew: boolean;
  /** True when the file can be read by its group or others (it should not). */
  readonly isExposed: boolean;
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
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `cannot read the token secret ${path}: ${code}`,
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

/**
 * The secret at `path`, generating it (32 random bytes, hex) when the file does not exist yet.
 * The directory is created (mode 0700) if missing. The file is written in full under a temporary
 * name (mode 0600) and then linked into place, which fails if it exists: two processes starting at
 * once (`--workers`) end up with the same secret, and neither can read a half-written file.
 */
export async function loadOrCreateTokenSecret(path: string): Promise<LoadedTokenSecret> {
  const secret = generateTokenSecret();
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temporary, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    // The umask may have narrowed 0600 further; set it exactly.
    await chmod(temporary, 0o600);
    await link(temporary, path);
    return { secret, isNew: true, isExposed: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readTokenSecretFile(path);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `cannot create the token secret ${path}: ${code}`,
      {
        cause: err,
      },
    );
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
