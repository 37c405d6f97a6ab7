import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { getRedisUrl } from '../../packages/space-lock/test/helpers/redis-server';

// Nothing here measures anything: these runs keep the benchmarks working, at
// their smallest scale, against the built packages (`npm test` builds first).
jest.setTimeout(300_000);

const BENCH = join(__dirname, '..');

function run(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(BENCH, script)],
      { cwd: BENCH, env: { ...process.env, ...env }, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the benchmarks run to the end', () => {
  it('the lock against raw ioredis and its peers prints its table', async () => {
    const out = await run('lock.bench.mjs', { BENCH_SCALE: '0.05', REDIS_URL: await getRedisUrl() });
    // stderr is in the message when the run failed.
    expect(`exit ${out.code}\n${out.code === 0 ? '' : out.stderr}`).toBe('exit 0\n');
    for (const row of [
      'raw ioredis (floor)',
      'space-lock withSpaceLock',
      'redis-semaphore Mutex',
      'redlock 5.0.0-beta.2',
    ])
      expect(out.stdout).toContain(`| ${row} `);
    expect(out.stdout).toMatch(/space-lock warnings: 0/);
  });

  it('the git-sync cycle at scale prints its three cycles', async () => {
    const out = await run('engine.bench.mjs', { BENCH_PAGES: '30', BENCH_REPEAT: '1' });
    // stderr is in the message when the run failed.
    expect(`exit ${out.code}\n${out.code === 0 ? '' : out.stderr}`).toBe('exit 0\n');
    expect(out.stdout).toMatch(/first cycle .* ms/);
    expect(out.stdout).toMatch(/no-change cycle .* ms/);
    expect(out.stdout).toMatch(/one-change cycle .* ms/);
  });
});
