import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuardedCycleRunner } from '../../../src/orchestrator/guarded-cycle-runner';
import { WorkTreeOverlapError } from '../../../src/orchestrator/work-tree-overlap.error';
import { GitSyncMetrics } from '../../../src/metrics/git-sync-metrics';
import { MeteredCycleRunner } from '../../../src/metrics/metered-cycle-runner';
import type { CycleRunner } from '../../../src/orchestrator/cycle-runner.port';
import { CycleAbortedError } from '../../../src/sync/cycle-aborted.error';
import { emptyCycleStatus } from '../../../src/sync/cycle-status';

const SPACE = '11111111-1111-4111-8111-111111111111';

async function sampleOf(
  metrics: GitSyncMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const values = (await metrics.registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

describe('MeteredCycleRunner', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metered-runner-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts an overlap in one working tree, and the guard keeps a count instead of a list', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const blocked: CycleRunner = {
      runCycle: () => {
        started();
        return new Promise((resolve) => (finish = () => resolve(emptyCycleStatus())));
      },
    };
    const metrics = new GitSyncMetrics();
    const first = new MeteredCycleRunner(new GuardedCycleRunner(blocked, dir, 'replica-a', 60_000), metrics);
    const secondGuard = new GuardedCycleRunner(blocked, dir, 'replica-b', 60_000);
    const second = new MeteredCycleRunner(secondGuard, metrics);
    const signal = new AbortController().signal;

    const firstRun = first.runCycle(SPACE, { signal });
    await running;
    await expect(second.runCycle(SPACE, { signal })).rejects.toBeInstanceOf(WorkTreeOverlapError);
    finish();
    await firstRun;

    expect(secondGuard.overlapCount).toBe(1);
    expect(await sampleOf(metrics, 'git_sync_work_tree_overlaps_total')).toBe(1);
    expect(await sampleOf(metrics, 'git_sync_cycles_total', { outcome: 'failed' })).toBe(1);
    expect(await sampleOf(metrics, 'git_sync_cycles_total', { outcome: 'ok' })).toBe(1);
    expect(await sampleOf(metrics, 'git_sync_spaces_failing')).toBe(0);
  });

  it('counts a cycle stopped by a lost lock as aborted, and times it', async () => {
    const metrics = new GitSyncMetrics();
    const aborting: CycleRunner = {
      runCycle: async (spaceId) => Promise.reject(new CycleAbortedError(spaceId, 'pulled', new Error('lost'))),
    };
    await expect(
      new MeteredCycleRunner(aborting, metrics).runCycle(SPACE, { signal: new AbortController().signal }),
    ).rejects.toBeInstanceOf(CycleAbortedError);
    expect(await sampleOf(metrics, 'git_sync_cycles_total', { outcome: 'aborted' })).toBe(1);
    const histogram = (await metrics.registry.getSingleMetric('git_sync_cycle_duration_seconds')!.get()).values;
    expect(
      histogram.find(
        (v) =>
          (v as { metricName?: string }).metricName === 'git_sync_cycle_duration_seconds_count' &&
          v.labels.outcome === 'aborted',
      )?.value,
    ).toBe(1);
    expect(await sampleOf(metrics, 'git_sync_work_tree_overlaps_total')).toBe(0);
  });
});
