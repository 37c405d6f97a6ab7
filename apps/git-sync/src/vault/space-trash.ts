import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { vaultPath } from './vault';

/** Dot-named, so no space id (a uuid) can ever collide with it. */
export const TRASH_DIR = '.trash';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}

/**
 * Where the vault of a deleted space goes: `<dataDir>/.trash/<spaceId>.<ms>`,
 * one entry per deletion, so a restore takes back the newest and an operator
 * can purge old ones with `rm`. Moves are renames within the data directory:
 * atomic, and as cheap for a big repository as for a small one. Call only
 * under the space's lock.
 */
export class SpaceTrash {
  readonly #dir: string;

  constructor(private readonly dataDir: string) {
    this.#dir = join(dataDir, TRASH_DIR);
  }

  /** Moves the space's vault into the trash; false when it had none. */
  async put(spaceId: string): Promise<boolean> {
    const from = vaultPath(this.dataDir, spaceId.toLowerCase());
    if (!(await exists(from))) return false;
    await mkdir(this.#dir, { recursive: true });
    await rename(from, join(this.#dir, `${spaceId.toLowerCase()}.${Date.now()}`));
    return true;
  }

  /**
   * Moves the newest trashed vault of the space back; false when there is
   * none, or when the space has a vault again (it is then left in the trash).
   */
  async takeBack(spaceId: string): Promise<boolean> {
    const id = spaceId.toLowerCase();
    const entries = await readdir(this.#dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const newest = entries
      .filter((name) => name.startsWith(`${id}.`) && /^\d+$/.test(name.slice(id.length + 1)))
      .sort((a, b) => Number(b.slice(id.length + 1)) - Number(a.slice(id.length + 1)))[0];
    const to = vaultPath(this.dataDir, id);
    if (newest === undefined || (await exists(to))) return false;
    await rename(join(this.#dir, newest), to);
    return true;
  }
}
