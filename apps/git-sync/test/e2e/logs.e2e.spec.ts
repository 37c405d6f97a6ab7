import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { makeE2eEnv, startDemoServer, type DemoServer, type E2eEnv } from './support/e2e-env';
import { GitCli } from './support/git-cli';
import { basicAuth } from './support/http-request';
import { eventually, waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';
import { anyNumber, anyObject, anyString } from '../support/matchers';

const MAIN = join(__dirname, '../../dist/main.js');
const BANNER_END = /^ {2}User: /;

/** Starts `node dist/main.js` as `npm start` does and returns stdout up to the end of the banner, then stops it. */
async function startupOutput(env: Record<string, string>): Promise<string[]> {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${lines.join('\n')}`)), 60_000);
      createInterface({ input: proc.stdout }).on('line', (line) => {
        lines.push(line);
        if (BANNER_END.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`server exited before its banner:\n${lines.join('\n')}`)));
    });
  } finally {
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(kill);
  }
  return lines;
}

describe('logs people can read', () => {
  let env: E2eEnv;
  beforeAll(async () => {
    env = await makeE2eEnv('logs-startup', 'pglite');
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it.each(['pretty', 'json'])('starts with at most 10 lines before the banner, as %s', async (format) => {
    const dataDir = join(env.tmp, `data-${format}`);
    const lines = await startupOutput({ GIT_SYNC_DATA_DIR: dataDir, GIT_SYNC_DEMO: 'true', LOG_FORMAT: format });
    const bannerAt = lines.findIndex((l) => l === 'git-sync is running on the embedded defaults.');
    expect(bannerAt).toBeGreaterThan(0);
    const before = lines.slice(0, bannerAt).filter((l) => l.trim() !== '');
    expect(before.length).toBeLessThanOrEqual(10);
    expect(before.some((l) => l.includes('git-sync listening'))).toBe(true);
    expect(before.filter((l) => l.includes('cycle done'))).toHaveLength(1);
    // Pretty output is not JSON; JSON output is nothing else.
    const json = before.filter((l) => l.startsWith('{'));
    expect(json.length).toBe(format === 'json' ? before.length : 0);
    // The token is only on the banner's lines, never on a log line.
    const { token } = JSON.parse(
      await import('node:fs/promises').then((fs) => fs.readFile(join(dataDir, 'demo-credentials.json'), 'utf8')),
    ) as { token: string };
    expect(before.join('\n')).not.toContain(token);
  });
});

describe('log lines on the running server', () => {
  let demo: DemoServer;
  let git: GitCli;
  beforeAll(async () => {
    // Only the cycles a test starts: a debounced cycle after its page edit could otherwise meet the broken
    // HEAD first, or hold the space when the manual trigger comes, on a machine slow enough.
    demo = await startDemoServer('logs', 'pglite', { GIT_SYNC_POLL_INTERVAL_MS: '0', GIT_SYNC_DEBOUNCE_MS: '3600000' });
    git = new GitCli(demo.env.tmp);
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it("logs git's first 401, asked without credentials, at debug, and a bad credential at warn", async () => {
    await git.ok(['clone', '-q', demo.url, join(demo.env.tmp, 'clone')]);
    const bad = await fetch(`${demo.server.baseUrl}/git/${demo.demo.spaceId}.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: basicAuth('demo', 'gst_wrong') },
    });
    expect(bad.status).toBe(401);
    const warned401 = () =>
      demo.server.logs.filter(
        (l) => l.level === 40 && (l.res as { statusCode?: number } | undefined)?.statusCode === 401,
      );
    await waitFor('the bad credential logged', () => warned401().length > 0);
    // git's clone asked without credentials first and got a 401 too; that one is not a warning.
    expect(warned401()).toHaveLength(1);
  });

  it('logs one line per cycle with its counts and duration, and a failure under err with its stack', async () => {
    const space = (await demo.server.api<{ id: string }>('POST', '/api/spaces', { name: 'Logged' })).body;
    await demo.server.api('POST', `/api/spaces/${space.id}/pages`, { title: 'One' });
    // Turning git-sync on runs the space's first cycle, which writes the page: a cycle with something to say.
    expect((await demo.server.api('PUT', `/api/spaces/${space.id}/git-sync`, { enabled: true })).status).toBe(200);
    const lines = () =>
      demo.server.logs.filter(
        (l) => l.spaceId === space.id && (l.msg === 'cycle done' || l.msg === 'git-sync cycle done'),
      );
    await waitFor('the first cycle logged', () => lines().length > 0);
    expect(lines()).toEqual([
      expect.objectContaining({
        msg: 'cycle done',
        level: 30,
        trigger: 'create',
        durationMs: anyNumber(),
        pull: anyObject(),
        push: anyObject(),
        commits: 1,
      }),
    ]);

    await writeFile(join(demo.env.dataDir, space.id, '.git', 'HEAD'), 'not a ref\n');
    expect(
      (await demo.server.api<{ error?: string }>('POST', '/api/git-sync/trigger', { spaceId: space.id })).body.error,
    ).toBeDefined();
    const failed = await eventually(
      () => demo.server.logs.find((l) => l.msg === 'cycle failed' && l.spaceId === space.id),
      'the failed cycle logged',
    );
    expect(failed).toMatchObject({
      level: 50,
      trigger: 'manual',
      durationMs: anyNumber(),
      err: { type: anyString(), message: anyString() },
    });
    expect((failed.err as { stack: string }).stack).toMatch(/\n\s+at /);
    expect(demo.server.logs.filter((l) => l.spaceId === space.id && Number(l.level) >= 50)).toHaveLength(1);
  });
});
