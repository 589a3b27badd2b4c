/**
 * The keys backends present to the HTTP API (`Authorization: Bearer <key>`). Only SHA-256 digests
 * are kept, and a presented key is compared with every digest in constant time, so neither the
 * time of an answer nor a memory dump tells a key. Several keys may be valid at once (rotation);
 * a file of keys is re-read on demand (gregord does it on SIGHUP).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gregorError } from 'gregor-client/errors';

/** Shortest key accepted: a key is a secret, not a password a person types. */
export const MIN_API_KEY_LENGTH = 16;

/** One accepted key, as the API sees it: a stable identity to count its requests by. */
export interface ApiKey {
  /** The first 12 hex digits of the key's SHA-256: for metrics and debugging, never the key. */
  readonly id: string;
}

interface Entry {
  readonly digest: Buffer;
  readonly key: ApiKey;
}

function digestOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The keys of `text`: one per line; blank lines and lines starting with `#` are skipped. */
export function parseApiKeys(text: string, source: string): string[] {
  const keys: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/\s/.test(line) || line.length < MIN_API_KEY_LENGTH) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `${source}: line ${i + 1}: an API key is at least ${MIN_API_KEY_LENGTH} characters without spaces`,
      );
    }
    keys.push(line);
  }
  return keys;
}

/** The set of valid API keys; see the file header. */
export class ApiKeys {
  readonly #file: string | undefined;
  #entries: readonly Entry[] = [];

  private constructor(file: string | undefined) {
    this.#file = file;
  }

  /** Fixed keys (each at least MIN_API_KEY_LENGTH characters, no spaces). */
  static of(keys: readonly string[]): ApiKeys {
    const set = new ApiKeys(undefined);
    set.#replace(parseApiKeys(keys.join('\n'), 'API keys'));
    return set;
  }

  /** The keys of a file (see parseApiKeys); `reload()` reads it again. */
  static async fromFile(path: string): Promise<ApiKeys> {
    const set = new ApiKeys(path);
    await set.reload();
    return set;
  }

  /** True when at least one key is valid: otherwise the API is off (every path answers 404). */
  get isEnabled(): boolean {
    return this.#entries.length > 0;
  }

  /** How many keys are valid. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Read the file again. On failure (unreadable, a bad line) the keys stay as they were and the
   * error (GREGOR_ERR_CONFIG_INVALID) is thrown. Fixed keys have nothing to re-read.
   */
  async reload(): Promise<void> {
    if (this.#file === undefined) return;
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `cannot read the API keys file ${this.#file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.#replace(parseApiKeys(text, this.#file));
  }

  /** The key `presented` is, or undefined. Takes the same time whichever key matches, or none. */
  match(presented: string): ApiKey | undefined {
    const digest = digestOf(presented);
    let found: ApiKey | undefined;
    for (const entry of this.#entries) {
      // No early exit: every digest is compared, whatever matched before.
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.key;
    }
    return found;
  }

  #replace(keys: readonly string[]): void {
    const kept = new Map(this.#entries.map((e) => [e.digest.toString('hex'), e]));
    this.#entries = [...new Set(keys)].map((key) => {
      const digest = digestOf(key);
      const hex = digest.toString('hex');
      // A key that stays keeps its identity, so its requests in flight are still counted.
      return kept.get(hex) ?? { digest, key: { id: hex.slice(0, 12) } };
    });
  }
}
