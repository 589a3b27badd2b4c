/**
 * The files and directories one start of gregord created (the data directory, a generated token
 * secret, a new SQLite file), so that a start which then fails removes them again: a failed start
 * leaves the disk as it found it, and the next start does not pick up a half-made setup.
 */
import { mkdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Paths created during one start, removed again by {@link CreatedPaths.removeAll}. */
export class CreatedPaths {
  readonly #files: string[] = [];
  /** Outermost first. */
  readonly #dirs: string[] = [];

  /** Create `dir` and its missing parents with `mode`, remembering each one made here. */
  async mkdir(dir: string, mode = 0o700): Promise<void> {
    const target = resolve(dir);
    const first = await mkdir(target, { recursive: true, mode });
    if (first === undefined) return;
    const made: string[] = [];
    for (let d = target; d.length >= first.length; d = dirname(d)) {
      made.unshift(d);
      if (d === first) break;
    }
    this.#dirs.push(...made);
  }

  /** Remember a file this start created. */
  addFile(path: string): void {
    this.#files.push(resolve(path));
  }

  /**
   * Remove every remembered file, then every remembered directory, innermost first. A directory
   * that something else has written into since is not empty and stays. Never rejects.
   */
  async removeAll(): Promise<void> {
    for (const file of this.#files.splice(0).reverse()) {
      await unlink(file).catch(() => undefined);
    }
    for (const dir of this.#dirs.splice(0).reverse()) {
      await rmdir(dir).catch(() => undefined);
    }
  }
}
