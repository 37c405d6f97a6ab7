import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeClient, createClient } from '../../../../packages/space-lock/test/helpers/redis-server';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { holdSpaceLock, startDemoServer, STORES, type DemoServer, type E2eEnv } from './support/e2e-env';
import { GitCli, writeFileIn } from './support/git-cli';
import type { ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

interface PageNode {
  id: string;
  title: string;
  parentPageId: string | null;
}

/**
 * The running server (`node dist/main.js`, as `npm start` runs it) driven by
 * the real git client over HTTP, with a real Redis lock, on each page store.
 */
describe.each(STORES)('git-sync server end to end on %s', (store) => {
  let suite: DemoServer;
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let git: GitCli;
  let url: string;

  beforeAll(async () => {
    suite = await startDemoServer(`e2e-${store}`, store, {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '150',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '300',
      GIT_SYNC_LOCK_TTL_MS: '5000',
    });
    ({ env, server, demo, url } = suite);
    git = new GitCli(env.tmp);
    await mkdir(join(env.tmp, 'clones'), { recursive: true });
  });

  afterAll(async () => {
    await suite?.stop();
  });

  const titles = async () =>
    (await server.api<PageNode[]>('GET', `/api/spaces/${demo.spaceId}/pages`)).body.map((p) => p.title).sort();

  const clone = async (name: string) => {
    const dir = join(env.tmp, 'clones', name);
    const result = await git.run(['clone', '-q', url, dir]);
    if (result.code !== 0) {
      const problems = server.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l));
      throw new Error(`git clone failed:\n${result.stderr}\nserver warnings and errors:\n${problems.join('\n')}`);
    }
    return dir;
  };

  it('prints the clone command with its credentials on the first run', () => {
    const banner = server.stdout.join('\n');
    expect(banner).toContain(
      `git clone http://demo:${encodeURIComponent(demo.token)}@127.0.0.1:${server.port}/git/${demo.spaceId}.git`,
    );
  });

  it('clone, commit and push: the pages are updated', async () => {
    const dir = await clone('push');
    expect(await readFile(join(dir, 'Welcome.md'), 'utf8')).toContain('# Welcome');
    await writeFileIn(dir, 'Release notes.md', '# Release notes\n\nPushed from a clone.\n');
    await writeFileIn(dir, 'Welcome.md', (await readFile(join(dir, 'Welcome.md'), 'utf8')) + '\nEdited in git.\n');
    await git.ok(['add', '-A'], dir);
    await git.ok(['commit', '-q', '-m', 'notes and an edit'], dir);
    const pushed = await git.run(['push', 'origin', 'HEAD:main'], dir);
    expect(pushed.code).toBe(0);

    await eventually(
      async () => ((await titles()).includes('Release notes') ? true : undefined),
      'the pushed page in the store',
    );
    const pages = (await server.api<PageNode[]>('GET', `/api/spaces/${demo.spaceId}/pages`)).body;
    const welcome = pages.find((p) => p.title === 'Welcome')!;
    const page = await server.api<{ content: string }>('GET', `/api/spaces/${demo.spaceId}/pages/${welcome.id}`);
    expect(page.body.content).toContain('Edited in git.');
  });

  it('a page edited through the API reaches git after the debounce', async () => {
    const dir = await clone('pull');
    const pages = (await server.api<PageNode[]>('GET', `/api/spaces/${demo.spaceId}/pages`)).body;
    const started = pages.find((p) => p.title === 'Getting started')!;
    const edited = await server.api('PATCH', `/api/spaces/${demo.spaceId}/pages/${started.id}`, {
      content: 'Written in the wiki, synced by the debounce.\n',
    });
    expect(edited.status).toBe(200);
    // No poll loop runs in this suite: only the debounced trigger can carry the edit to git.
    const file = join(dir, 'Welcome', 'Getting started.md');
    await eventually(async () => {
      await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
      const text = await readFile(file, 'utf8');
      return text.includes('synced by the debounce') ? text : undefined;
    }, 'the API edit in a git pull');
  });

  it('a push while a cycle holds the space gets 503 and the busy message; the retried push succeeds', async () => {
    const dir = await clone('busy');
    await writeFileIn(dir, 'Busy.md', 'pushed while busy\n');
    await git.ok(['add', '-A'], dir);
    await git.ok(['commit', '-q', '-m', 'while busy'], dir);
    const commit = await git.ok(['rev-parse', 'HEAD'], dir);

    // Another replica's cycle: a SpaceLock on the same Redis and key prefix holds the space.
    const lock = await holdSpaceLock(env, demo.spaceId);
    try {
      const refused = await git.run(['push', 'origin', 'HEAD:main'], dir);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/\b503\b/);
      expect(refused.stderr).toMatch(/busy/i);
      const vault = env.dataDir + '/' + demo.spaceId;
      expect((await git.run(['merge-base', '--is-ancestor', commit, 'main'], vault)).code).not.toBe(0);
    } finally {
      await lock.release();
    }

    const retried = await git.run(['push', 'origin', 'HEAD:main'], dir);
    expect(retried.stderr).not.toMatch(/\b503\b/);
    expect(retried.code).toBe(0);
    await eventually(
      async () => ((await titles()).includes('Busy') ? true : undefined),
      'the retried push in the store',
    );
  });

  it('answers the auth matrix over HTTP: 401, 404, 403 and 429 (failures counted in Redis)', async () => {
    const infoRefs = (spaceId: string, service: string, auth?: [string, string], from = '127.0.0.1') =>
      fetch(`${server.baseUrl}/git/${spaceId}.git/info/refs?service=${service}`, {
        headers: {
          ...(auth ? { authorization: `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64')}` } : {}),
          // Fastify takes the client address from the socket; the header only labels the attempt in logs.
          'x-test-from': from,
        },
        signal: AbortSignal.timeout(30_000),
      });

    const anonymous = await infoRefs(demo.spaceId, 'git-upload-pack');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await infoRefs(demo.spaceId, 'git-upload-pack', ['demo', 'gst_not-the-token'])).status).toBe(401);

    const unknownSpace = await infoRefs('00000000-0000-4000-8000-000000000000', 'git-upload-pack', [
      'demo',
      demo.token,
    ]);
    expect(unknownSpace.status).toBe(404);

    const reader = await server.api<{ id: string }>('POST', '/api/users', { username: `reader-${store}` });
    const readerToken = await server.api<{ token: string }>('POST', `/api/users/${reader.body.id}/tokens`, {
      name: 'laptop',
    });
    const stranger = await infoRefs(demo.spaceId, 'git-upload-pack', [`reader-${store}`, readerToken.body.token]);
    expect(stranger.status).toBe(404);
    await server.api('PUT', `/api/spaces/${demo.spaceId}/members/${reader.body.id}`, { role: 'read' });
    expect((await infoRefs(demo.spaceId, 'git-upload-pack', [`reader-${store}`, readerToken.body.token])).status).toBe(
      200,
    );
    const readOnlyPush = await infoRefs(demo.spaceId, 'git-receive-pack', [`reader-${store}`, readerToken.body.token]);
    expect(readOnlyPush.status).toBe(403);

    // Guessing one user's token: after the allowed failures, even the right token is refused for a while.
    let throttled: Response | undefined;
    for (let i = 0; i < 15 && !throttled; i++) {
      const res = await infoRefs(demo.spaceId, 'git-upload-pack', [`reader-${store}`, `gst_guess-${i}`]);
      if (res.status === 429) throttled = res;
      else expect(res.status).toBe(401);
    }
    expect(throttled?.status).toBe(429);
    expect(Number(throttled?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await infoRefs(demo.spaceId, 'git-upload-pack', [`reader-${store}`, readerToken.body.token])).status).toBe(
      429,
    );

    // The counts live in Redis, where every replica sees them.
    const redis = createClient(env.redisUrl);
    try {
      const keys = await redis.keys(`${env.lockPrefix}auth-failures*`);
      expect(keys.some((k) => k.includes(`user:reader-${store}`))).toBe(true);
    } finally {
      await closeClient(redis);
    }
  });

  it('the status endpoint reports the last cycles and no overlap', async () => {
    const status = await server.api<{ workTreeOverlaps: number }>('GET', '/api/git-sync/status');
    expect(status.status).toBe(200);
    expect(status.body.workTreeOverlaps).toBe(0);
  });
});
