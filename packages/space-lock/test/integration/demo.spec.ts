import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getRedisUrl } from '../helpers/redis-server';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const PACKAGE_DIR = join(__dirname, '..', '..');
const DEMO = join(PACKAGE_DIR, 'demo', 'contend.mjs');
const RUN_TIMEOUT_MS = 20_000;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo as `npm run demo` would, for a short contention window, killing it if it overruns. */
function runDemo(env: Record<string, string>): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, SPACE_LOCK_DEMO_MS: '1200', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo still running after ${RUN_TIMEOUT_MS} ms; output so far:\n${stdout}${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the contention demo (npm run demo)', () => {
  let redisUrl: string;

  beforeAll(async () => {
    // The demo runs the built package, as a user would.
    if (!existsSync(join(PACKAGE_DIR, 'dist', 'index.js'))) {
      const build = spawnSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore', timeout: 60_000 });
      if (build.status !== 0)
        throw new Error('could not build space-lock for the demo (run npm run build -w packages/space-lock)');
    }
    redisUrl = await getRedisUrl();
  }, 70_000);

  const modes = [
    { mode: 'separate processes on Redis', store: 'redis', banner: /separate processes on Redis/ },
    {
      mode: 'SpaceLock instances on the in-memory store',
      store: 'memory',
      banner: /in one process on the in-memory store/,
    },
  ];

  it.each(modes)('runs as $mode and passes its no-overlap check', async ({ store, banner }) => {
    const run = await runDemo({ SPACE_LOCK_DEMO_STORE: store, REDIS_URL: redisUrl });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(banner);
    // Several replicas took turns, and each hold was printed as it happened.
    const holders = new Set([...run.stdout.matchAll(/held by (replica-\d+)/g)].map((m) => m[1]));
    expect(holders.size).toBeGreaterThan(1);
    expect(run.stdout).toMatch(/^no-overlap check: OK, \d+ holds on 3 spaces/m);
    expect(run.stdout).not.toMatch(/OVERLAP|LOST/);
  });

  it.each(modes)(
    'fails its check, with a non-zero exit, when replicas do not share locks ($mode)',
    async ({ store }) => {
      const run = await runDemo({
        SPACE_LOCK_DEMO_STORE: store,
        REDIS_URL: redisUrl,
        SPACE_LOCK_DEMO_FAULT: 'split-brain',
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^OVERLAP on /m);
      expect(run.stdout).toMatch(/^no-overlap check: FAILED/m);
    },
  );
});
