import { WorkTreeOverlapError } from '../orchestrator/work-tree-overlap.error';
import { StaleFencingTokenError } from '../pages/stale-fencing-token.error';
import { CycleAbortedError } from '../sync/cycle-aborted.error';
import type { CycleRunner, LockScope } from '../orchestrator/cycle-runner.port';
import type { CycleStatus } from '../orchestrator/cycle-status';
import type { GitSyncMetrics } from './git-sync-metrics';

/** Counts and times every cycle that runs, around whichever runner does the work. */
export class MeteredCycleRunner implements CycleRunner {
  constructor(
    private readonly inner: CycleRunner,
    private readonly metrics: GitSyncMetrics,
  ) {}

  async runCycle(spaceId: string, options: LockScope): Promise<CycleStatus> {
    const startedAt = performance.now();
    const seconds = () => (performance.now() - startedAt) / 1000;
    try {
      const status = await this.inner.runCycle(spaceId, options);
      this.metrics.cycleRan(spaceId, 'ok', seconds(), status);
      return status;
    } catch (err) {
      if (err instanceof WorkTreeOverlapError) this.metrics.workTreeOverlap();
      this.metrics.cycleRan(
        spaceId,
        err instanceof CycleAbortedError || err instanceof StaleFencingTokenError || options.signal.aborted
          ? 'aborted'
          : 'failed',
        seconds(),
      );
      throw err;
    }
  }
}
