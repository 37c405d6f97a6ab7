import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CycleRunner, LockScope } from './cycle-runner.port';
import type { CycleStatus } from './cycle-status';
import { WorkTreeOverlapError } from './work-tree-overlap.error';

/** The engine's cycle, which also takes the owner to write into its own crash marker. */
export interface OwnedCycleRunner {
  runCycle(spaceId: string, options: LockScope & { owner?: string }): Promise<CycleStatus>;
}

interface Marker {
  holder?: string;
  fencingToken?: number;
  startedAt?: number;
}

/**
 * Runs cycles behind a marker file that exists for a cycle's whole duration, naming its holder and,
 * with a fencing lock, its token. The lock should make a collision impossible; the marker proves it
 * across processes and replicas sharing a data directory.
 *
 * With tokens, a marker found at the start of a cycle is told apart by token alone, however long
 * either cycle runs: an older token's hold is over (tokens only grow), so its marker is taken over;
 * a newer one means this holder is the stale one (an overlap: refused). A cycle that finds at its
 * end a marker that is not its own was overtaken while it ran (an overlap too), and leaves that
 * marker alone: it belongs to a cycle still running. Without tokens (the in-memory lock, one
 * process), any marker found at the start is a dead process's, older than the lock TTL.
 */
export class GuardedCycleRunner implements CycleRunner {
  /** Overlaps found since start; a count, not a list, so it stays bounded however long a broken lock lasts. */
  #overlaps = 0;
  readonly #dir: string;

  constructor(
    private readonly inner: OwnedCycleRunner,
    dataDir: string,
    private readonly holder: string,
    private readonly staleAfterMs: number,
  ) {
    this.#dir = join(dataDir, '.cycle-markers');
  }

  /** Cycles this process found another live cycle in the same working tree: 0 unless the lock failed. */
  get overlapCount(): number {
    return this.#overlaps;
  }

  async runCycle(spaceId: string, options: LockScope): Promise<CycleStatus> {
    await mkdir(this.#dir, { recursive: true });
    const path = join(this.#dir, spaceId);
    const mine: Marker = { holder: this.holder, fencingToken: options.fencingToken, startedAt: Date.now() };
    await this.#claim(spaceId, path, mine);
    try {
      return await this.inner.runCycle(spaceId, { ...options, owner: this.holder });
    } finally {
      await this.#release(spaceId, path, mine, options.signal);
    }
  }

  async #claim(spaceId: string, path: string, mine: Marker): Promise<void> {
    // Written whole under a temp name first, so no reader ever sees a marker without its content.
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeNew(temp, JSON.stringify(mine));
    try {
      try {
        // link() fails if the marker exists: an O_EXCL create that lands complete.
        await link(temp, path);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const other = await readMarker(path);
      if (!this.#isOver(other, mine)) {
        this.#report();
        throw new WorkTreeOverlapError(spaceId, other?.holder ?? 'unknown');
      }
      // Replaced in one rename, so no other claimant can slip in between a removal and a create.
      await rename(temp, path);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Whether the found marker's cycle can no longer be running under the lock. */
  #isOver(other: Marker | undefined, mine: Marker): boolean {
    if (other === undefined) return true;
    const [theirs, ours] = [other.fencingToken, mine.fencingToken];
    if (theirs !== undefined && ours !== undefined) return theirs < ours;
    return Date.now() - (other.startedAt ?? 0) >= this.staleAfterMs;
  }

  async #release(spaceId: string, path: string, mine: Marker, signal: AbortSignal): Promise<void> {
    const found = await readMarker(path);
    if (found === undefined) return;
    if (
      found.holder === mine.holder &&
      found.fencingToken === mine.fencingToken &&
      found.startedAt === mine.startedAt
    ) {
      await unlink(path).catch(() => undefined);
      return;
    }
    // A later holder took over while this cycle ran. If this cycle had been told it lost the lock
    // (a pause past its lease, say), it was superseded, and the fence kept its writes out; if it
    // still believed it held the lock, two cycles each thought they owned the tree: an overlap.
    if (!signal.aborted) this.#report();
  }

  #report(): void {
    this.#overlaps++;
  }
}

async function readMarker(path: string): Promise<Marker | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Marker;
  } catch {
    // A marker cut short by a crash mid-write is stale by construction.
    return {};
  }
}

async function writeNew(path: string, text: string): Promise<void> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(text);
    await handle.close();
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
