import { GitSyncMetrics } from '../../../src/metrics/git-sync-metrics';
import { emptyCycleStatus } from '../../../src/sync/cycle-status';

async function values(
  metrics: GitSyncMetrics,
  name: string,
): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => ({
    labels: v.labels as Record<string, string | number>,
    value: v.value,
  }));
}

describe('GitSyncMetrics', () => {
  it('follows the Prometheus naming rules: snake_case, _total on counters, a unit on histograms', async () => {
    const metrics = new GitSyncMetrics({ perSpace: true });
    const all = await metrics.registry.getMetricsAsJSON();
    expect(all.length).toBeGreaterThanOrEqual(14);
    for (const m of all) {
      expect(m.name).toMatch(/^git_sync_[a-z_]+$/);
      if (String(m.type) === 'counter') expect(m.name).toMatch(/_total$/);
      if (String(m.type) === 'histogram') expect(m.name).toMatch(/_seconds$/);
    }
  });

  it('counts what a cycle changed, and how it ended', async () => {
    const metrics = new GitSyncMetrics();
    const status = emptyCycleStatus();
    Object.assign(status.push, { created: 2, moved: 1, deferred: 3 });
    status.pull.conflicts = 1;
    metrics.cycleRan('s1', 'ok', 0.2, status);
    metrics.cycleRan('s1', 'aborted', 0.1);
    metrics.cycleNotRun({ spaceId: 's1', ran: false, skipped: 'lock-held' });
    metrics.cycleNotRun({ spaceId: 's1', ran: true, error: 'counted by cycleRan' });
    expect(await values(metrics, 'git_sync_pages_changed_total')).toEqual(
      expect.arrayContaining([
        { labels: { change: 'created' }, value: 2 },
        { labels: { change: 'moved' }, value: 1 },
      ]),
    );
    expect((await values(metrics, 'git_sync_deletes_deferred_total'))[0].value).toBe(3);
    expect((await values(metrics, 'git_sync_conflicts_recorded_total'))[0].value).toBe(1);
    expect(await values(metrics, 'git_sync_cycles_total')).toEqual(
      expect.arrayContaining([
        { labels: { outcome: 'ok', reason: '' }, value: 1 },
        { labels: { outcome: 'aborted', reason: '' }, value: 1 },
        { labels: { outcome: 'skipped', reason: 'lock-held' }, value: 1 },
      ]),
    );
    expect((await values(metrics, 'git_sync_cycles_total')).reduce((n, v) => n + v.value, 0)).toBe(3);
  });

  it('has no per-space series unless asked for, and counts failing spaces either way', async () => {
    const metrics = new GitSyncMetrics();
    metrics.cycleRan('s1', 'failed', 1);
    expect(metrics.registry.getSingleMetric('git_sync_space_consecutive_failures')).toBeUndefined();
    expect((await values(metrics, 'git_sync_spaces_failing'))[0].value).toBe(1);
    expect(await metrics.render()).not.toContain('s1');
  });

  it('keeps a per-space series only while the space fails, and never more than the cap', async () => {
    const metrics = new GitSyncMetrics({ perSpace: true, maxSpaceSeries: 2 });
    for (const id of ['a', 'b', 'c']) metrics.cycleRan(id, 'failed', 1);
    metrics.cycleRan('a', 'failed', 1);
    expect(await values(metrics, 'git_sync_space_consecutive_failures')).toEqual([
      { labels: { space_id: 'a' }, value: 2 },
      { labels: { space_id: 'b' }, value: 1 },
    ]);
    expect((await values(metrics, 'git_sync_spaces_failing'))[0].value).toBe(3);
    metrics.cycleRan('a', 'ok', 1, emptyCycleStatus());
    metrics.cycleRan('c', 'failed', 1);
    expect(await values(metrics, 'git_sync_space_consecutive_failures')).toEqual([
      { labels: { space_id: 'b' }, value: 1 },
      { labels: { space_id: 'c' }, value: 2 },
    ]);
    expect((await values(metrics, 'git_sync_spaces_failing'))[0].value).toBe(2);
  });
});
