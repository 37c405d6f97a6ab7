import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CycleRunner, LockScope } from '../orchestrator/cycle-runner.port';
import type { CycleStatus } from '../orchestrator/cycle-status';
import { WorkTreeOverlapError } from './work-tree-overlap.error';

export interface OverlapReport {
  spaceId: string;
  holder: string;
  otherHolder: string;
  at: string;
}

/**
 * Runs cycles behind a marker file that exists for a cycle's whole duration,
 * created with O_EXCL. The lock should make a collision impossible; the
 * marker proves it across processes and replicas sharing a data directory.
 * A marker found at the start of a cycle is either another live cycle (a
 * broken lock: reported and refused) or one left by a process that died
 * mid-cycle. The two are told apart by whether the marker's holder is the
 * one the lock expired under: since the lock guarantees we hold the space,
 * any marker older than the lock TTL is stale and is taken over.
 */
export class GuardedCycleRunner implements CycleRunner {
  readonly overlaps: OverlapReport[] = [];
  readonly #dir: string;

  constructor(
    private readonly inner: CycleRunner,
    dataDir: string,
    private readonly holder: string,
    private readonly staleAfterMs: number,
  ) {
    this.#dir = join(dataDir, '.cycle-markers');
  }

  async runCycle(spaceId: string, options: LockScope): Promise<CycleStatus> {
    await mkdir(this.#dir, { recursive: true });
    const marker = join(this.#dir, spaceId);
    const content = JSON.stringify({ holder: this.holder, startedAt: Date.now() });
    await this.#claim(spaceId, marker, content);
    try {
      return await this.inner.runCycle(spaceId, options);
    } finally {
      await unlink(marker).catch(() => undefined);
    }
  }

  async #claim(spaceId: string, marker: string, content: string): Promise<void> {
    try {
      const handle = await open(marker, 'wx');
      await handle.writeFile(content);
      await handle.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const existing = await readFile(marker, 'utf8').catch(() => '');
    let other: { holder?: string; startedAt?: number } = {};
    try {
      other = JSON.parse(existing) as typeof other;
    } catch {
      // A marker cut short by a crash mid-write is stale by construction.
    }
    const age = Date.now() - (other.startedAt ?? 0);
    if (age < this.staleAfterMs) {
      const report = { spaceId, holder: this.holder, otherHolder: other.holder ?? 'unknown', at: new Date().toISOString() };
      this.overlaps.push(report);
      throw new WorkTreeOverlapError(spaceId, report.otherHolder);
    }
    // Stale: a cycle died without cleaning up; the lock has since passed to us.
    await unlink(marker).catch(() => undefined);
    await this.#claim(spaceId, marker, content);
  }
}
