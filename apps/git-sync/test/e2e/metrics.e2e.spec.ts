import { join } from 'node:path';
import { holdSpaceLock, startDemoServer, type DemoServer } from './support/e2e-env';
import { GitCli, writeFileIn } from './support/git-cli';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

/** The value of one sample (`name{labels} value`) in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter((l) => l !== '');
    if (wanted.every((l) => have.includes(l))) return Number(match[3]);
  }
  return undefined;
}

/**
 * `/metrics` against the running server: off by default, on with
 * `GIT_SYNC_METRICS`, on its own port with `GIT_SYNC_METRICS_PORT`, and
 * counting what a real push does.
 */
describe('metrics end to end', () => {
  const servers: DemoServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('is not served unless GIT_SYNC_METRICS is on', async () => {
    const off = await startDemoServer('metrics-off', 'pglite', { GIT_SYNC_POLL_INTERVAL_MS: '0' });
    servers.push(off);
    const res = await fetch(`${off.server.baseUrl}/metrics`);
    expect(res.status).toBe(404);
  });

  it('counts a push, its cycle, its pages, the lock and failed logins, on the server port', async () => {
    const on = await startDemoServer('metrics-on', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '300',
      GIT_SYNC_METRICS: 'true',
      GIT_SYNC_METRICS_PER_SPACE: 'true',
    });
    servers.push(on);
    const scrape = async () => {
      const res = await fetch(`${on.server.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return res.text();
    };
    const git = new GitCli(on.env.tmp);
    const dir = join(on.env.tmp, 'clone');
    await git.ok(['clone', '-q', on.url, dir]);
    await writeFileIn(dir, 'Metrics page.md', '# counted\n');
    await git.ok(['add', '-A'], dir);
    await git.ok(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'add'], dir);
    await git.ok(['push', '-q', 'origin', 'HEAD:main'], dir);
    const bad = await fetch(`${on.server.baseUrl}/api/users/me`, {
      headers: { authorization: 'Bearer gst_not-a-real-token' },
    });
    expect(bad.status).toBe(401);

    const text = await scrape();
    expect(sample(text, 'git_sync_pushes_total', { result: 'accepted' })).toBe(1);
    expect(sample(text, 'git_sync_pages_changed_total', { change: 'created' })).toBe(1);
    expect(sample(text, 'git_sync_cycles_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(2); // the demo's first cycle and the push's
    expect(sample(text, 'git_sync_cycle_duration_seconds_count', { outcome: 'ok' })).toBe(
      sample(text, 'git_sync_cycles_total', { outcome: 'ok' }),
    );
    expect(sample(text, 'git_sync_lock_holds_total')).toBeGreaterThanOrEqual(3); // first cycle, the push's info/refs, the push
    expect(sample(text, 'git_sync_lock_acquire_duration_seconds_count', { result: 'acquired' })).toBe(
      sample(text, 'git_sync_lock_holds_total'),
    );
    expect(sample(text, 'git_sync_auth_failures_total')).toBe(1);
    expect(sample(text, 'git_sync_work_tree_overlaps_total')).toBe(0);
    expect(sample(text, 'git_sync_spaces_failing')).toBe(0);
    expect(sample(text, 'process_cpu_seconds_total')).toBeDefined();
    // A push while another replica holds the space: a 503, and an attempt that found the lock busy.
    const lock = await holdSpaceLock(on.env, on.demo.spaceId);
    try {
      await writeFileIn(dir, 'Second.md', '# refused\n');
      await git.ok(['add', '-A'], dir);
      await git.ok(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'second'], dir);
      const refused = await git.run(['push', '-q', 'origin', 'HEAD:main'], dir);
      expect(refused.stderr).toMatch(/\b503\b/);
    } finally {
      await lock.release();
    }
    // A push the pre-receive checks refuse (another branch): refused, not accepted.
    const declined = await git.run(['push', '-q', 'origin', 'HEAD:refs/heads/feature'], dir);
    expect(declined.code).not.toBe(0);
    expect(declined.stderr).toContain('only main is synced');
    const after = await scrape();
    expect(sample(after, 'git_sync_pushes_total', { result: 'refused', reason: 'declined' })).toBe(1);
    expect(sample(after, 'git_sync_pushes_total', { result: 'accepted' })).toBe(1);
    expect(sample(after, 'git_sync_unavailable_responses_total', { reason: 'lock-busy' })).toBe(1);
    expect(sample(after, 'git_sync_lock_acquire_duration_seconds_count', { result: 'busy' })).toBeGreaterThanOrEqual(1);
    // No secret and no path in the exposition.
    expect(text).not.toContain(on.demo.token);
    expect(text).not.toContain(on.env.dataDir);
    // And the status keeps its overlap count.
    const status = await on.server.api<{ workTreeOverlaps: number }>('GET', '/api/git-sync/status');
    expect(status.body.workTreeOverlaps).toBe(0);
  });

  it('serves /metrics on its own port when GIT_SYNC_METRICS_PORT is set, and not on the server port', async () => {
    const apart = await startDemoServer('metrics-port', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_METRICS: 'true',
      GIT_SYNC_METRICS_PORT: '0',
    });
    servers.push(apart);
    const port = await eventually(
      () => apart.server.logs.find((l) => l.msg === 'metrics served on their own port')?.port as number | undefined,
      'the metrics port in the log',
    );
    expect(port).not.toBe(apart.server.port);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(sample(await res.text(), 'git_sync_cycles_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://127.0.0.1:${port}/api/users/me`)).status).toBe(404);
    expect((await fetch(`${apart.server.baseUrl}/metrics`)).status).toBe(404);
  });
});
