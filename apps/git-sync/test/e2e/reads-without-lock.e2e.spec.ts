import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { createClient } from '../../../../packages/space-lock/test/helpers/redis-server';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { demoCredentials, makeE2eEnv, type E2eEnv } from './support/e2e-env';
import { cloneUrl, GitCli, writeFileIn } from './support/git-cli';
import type { GitSyncStatus } from '../../src/orchestrator';
import { startServer, type ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

// Long enough that a read outwaits the short foreign hold below on a loaded
// machine, short enough that the read which must give up does so quickly.
const READ_WAIT_MS = 4_000;
const SHORT_HOLD_MS = 400;

/**
 * Clones and fetches are reads: they must work while any holder owns the
 * space's lock, since the repository is created with the space. A foreign
 * holder is played by writing the lock key directly, as another replica's
 * `SET NX` would.
 */
describe('clones and fetches never need the space lock', () => {
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let git: GitCli;
  let redis: Redis;
  let clones = 0;

  beforeAll(async () => {
    env = await makeE2eEnv('reads', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '100',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: String(READ_WAIT_MS),
      GIT_SYNC_LOCK_TTL_MS: '5000',
    });
    server = await startServer(env.serverEnv);
    demo = await demoCredentials(server, env.dataDir);
    git = new GitCli(env.tmp);
    redis = createClient(env.redisUrl);
  });

  afterAll(async () => {
    await server?.stop();
    await env?.dispose();
  });

  const holdLock = (spaceId: string, ms: number) =>
    redis.set(`${env.lockPrefix}${spaceId}`, 'another-replica', 'PX', ms);
  const dropLock = (spaceId: string) => redis.del(`${env.lockPrefix}${spaceId}`);

  /** A space made through the API, with the demo user as a writer, and with a page unless told otherwise. */
  const newSpace = async (name: string, { withPage = true } = {}) => {
    const space = await server.api<{ id: string }>('POST', '/api/spaces', { name, gitSyncEnabled: true });
    expect(space.status).toBe(201);
    const users = await server.api<{ id: string; username: string }[]>('GET', '/api/users');
    const user = users.body.find((u) => u.username === demo.username)!;
    expect((await server.api('PUT', `/api/spaces/${space.body.id}/members/${user.id}`, { role: 'write' })).status).toBe(
      200,
    );
    if (!withPage) return space.body.id;
    await server.api('POST', `/api/spaces/${space.body.id}/pages`, {
      title: 'Hello',
      content: `# Hello from ${name}\n`,
    });
    // The page write schedules a debounced cycle; let it finish so no cycle runs behind the test's back.
    await eventually(async () => {
      const status = await server.api<GitSyncStatus>('GET', '/api/git-sync/status');
      return status.body.spaces.some(
        (s) => s.result.spaceId === space.body.id && s.trigger === 'debounce' && s.result.ran,
      )
        ? true
        : undefined;
    }, `the debounced cycle of ${name}`);
    return space.body.id;
  };

  const cloneOf = async (spaceId: string) => {
    const dir = join(env.tmp, `clone-${clones++}`);
    const result = await git.run(['clone', '-q', cloneUrl(server.baseUrl, spaceId, demo.username, demo.token), dir]);
    return { dir, ...result };
  };

  it('a space created through the API has its repository at once: it clones and fetches while another holder owns its lock', async () => {
    // No page: a page write would schedule a cycle, which could create the repository instead.
    const spaceId = await newSpace('Created', { withPage: false });
    await holdLock(spaceId, 60_000);
    try {
      const cloned = await cloneOf(spaceId);
      expect(cloned.stderr).toBe('');
      expect(cloned.code).toBe(0);
      const fetched = await git.run(['fetch', '-q', 'origin'], cloned.dir);
      expect(fetched.stderr).toBe('');
      expect(fetched.code).toBe(0);
      expect(await redis.get(`${env.lockPrefix}${spaceId}`)).toBe('another-replica');
    } finally {
      await dropLock(spaceId);
    }
  });

  it('the demo space is ready before its credentials are written', async () => {
    const cycles = server.logs.filter((l) => l.msg === 'cycle done' && l.spaceId === demo.spaceId);
    expect(cycles.map((l) => l.trigger)).toContain('create');
    await holdLock(demo.spaceId, 60_000);
    try {
      const cloned = await cloneOf(demo.spaceId);
      expect(cloned.code).toBe(0);
      expect(await readFile(join(cloned.dir, 'Welcome.md'), 'utf8')).toContain('# Welcome');
    } finally {
      await dropLock(demo.spaceId);
    }
  });

  it('a space without a repository (made before repositories came with spaces) gets one on its first read, outwaiting a busy lock instead of 503', async () => {
    const spaceId = await newSpace('Legacy');
    await rm(join(env.dataDir, spaceId), { recursive: true, force: true });
    await holdLock(spaceId, SHORT_HOLD_MS);
    const cloned = await cloneOf(spaceId);
    expect(cloned.stderr).toBe('');
    expect(cloned.code).toBe(0);
    expect(await readFile(join(cloned.dir, 'Hello.md'), 'utf8')).toContain('# Hello from Legacy');
    // And the clone can push back: the repository is a whole vault, not a bare copy.
    await writeFileIn(cloned.dir, 'Back.md', 'pushed after a lazy creation\n');
    await git.ok(['add', '-A'], cloned.dir);
    await git.ok(['commit', '-q', '-m', 'back'], cloned.dir);
    expect((await git.run(['push', '-q', 'origin', 'HEAD:main'], cloned.dir)).code).toBe(0);
  });

  it('a read that still cannot be served is answered 503 with a message about reading, not pushing', async () => {
    const spaceId = await newSpace('Stuck');
    await rm(join(env.dataDir, spaceId), { recursive: true, force: true });
    await holdLock(spaceId, 120_000);
    try {
      const cloned = await cloneOf(spaceId);
      expect(cloned.code).not.toBe(0);
      expect(cloned.stderr).toMatch(/\b503\b/);
      expect(cloned.stderr).toMatch(/still being prepared/);
      expect(cloned.stderr).toMatch(/clone or fetch/);
      expect(cloned.stderr).not.toMatch(/push/);
    } finally {
      await dropLock(spaceId);
    }
  });
});
