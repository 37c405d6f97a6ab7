import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cloneUrl, GitCli } from './support/git-cli';
import { holdSpaceLock, startDemoServer, type DemoServer } from './support/e2e-env';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';
import { anyString } from '../support/matchers';

interface PageNode {
  id: string;
  title: string;
  deletedAt?: string;
}

/** Deleting and restoring pages and spaces, against the running server with git as the client sees it. */
describe('delete and restore end to end', () => {
  let demo: DemoServer;
  let git: GitCli;

  beforeAll(async () => {
    demo = await startDemoServer('operations', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '150',
    });
    git = new GitCli(demo.env.tmp);
  });

  afterAll(async () => {
    await demo?.stop();
  });

  const api = <T>(method: string, path: string, body?: unknown) => demo.server.api<T>(method, path, body);
  /** The files on the space's main, as a client fetching now sees them. */
  const filesOnMain = async (url: string): Promise<string[]> => {
    const dir = join(demo.env.tmp, `ls-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    await git.ok(['clone', '-q', '--bare', url, dir]);
    return (await git.ok(['ls-tree', '-r', '--name-only', 'main'], dir)).split('\n').filter((f) => f !== '');
  };

  it('lists a deleted page, restores it, and the restored page comes back to git', async () => {
    const spaceId = demo.demo.spaceId;
    const pages = (await api<PageNode[]>('GET', `/api/spaces/${spaceId}/pages`)).body;
    const welcome = pages.find((p) => p.title === 'Welcome')!;
    const child = pages.find((p) => p.title === 'Getting started')!;
    expect(await filesOnMain(demo.url)).toContain('Welcome/Getting started.md');

    expect((await api('DELETE', `/api/spaces/${spaceId}/pages/${child.id}`)).status).toBe(204);
    await eventually(
      async () => (!(await filesOnMain(demo.url)).includes('Welcome/Getting started.md') ? true : undefined),
      'the deleted page gone from git',
    );
    const deleted = await api<PageNode[]>('GET', `/api/spaces/${spaceId}/pages?deleted=true`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual([
      expect.objectContaining({ id: child.id, title: 'Getting started', deletedAt: anyString() }),
    ]);
    expect((await api<PageNode[]>('GET', `/api/spaces/${spaceId}/pages`)).body.map((p) => p.id)).toEqual([welcome.id]);

    const restored = await api<PageNode & { deletedAt: string | null }>(
      'POST',
      `/api/spaces/${spaceId}/pages/${child.id}/restore`,
    );
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: child.id, deletedAt: null });
    expect(restored.headers.get('etag')).toMatch(/^"\d+"$/);
    expect((await api<PageNode[]>('GET', `/api/spaces/${spaceId}/pages?deleted=true`)).body).toEqual([]);
    await eventually(
      async () => ((await filesOnMain(demo.url)).includes('Welcome/Getting started.md') ? true : undefined),
      'the restored page back in git',
    );
  });

  it('refuses a deleted= that is not true or false, and a restore of a page that never was', async () => {
    const spaceId = demo.demo.spaceId;
    const bad = await api<{ issues: { field: string }[] }>('GET', `/api/spaces/${spaceId}/pages?deleted=yes`);
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].field).toBe('deleted');
    expect(
      (await api('POST', `/api/spaces/${spaceId}/pages/00000000-0000-4000-8000-000000000000/restore`)).status,
    ).toBe(404);
  });

  it('deletes a space into the trash under its lock, and restores it with the pages deleted with it', async () => {
    const space = (await api<{ id: string }>('POST', '/api/spaces', { name: 'Doomed', gitSyncEnabled: true })).body;
    const kept = (await api<PageNode>('POST', `/api/spaces/${space.id}/pages`, { title: 'Kept' })).body;
    const earlier = (await api<PageNode>('POST', `/api/spaces/${space.id}/pages`, { title: 'Deleted before' })).body;
    expect((await api('DELETE', `/api/spaces/${space.id}/pages/${earlier.id}`)).status).toBe(204);
    expect((await api('POST', '/api/git-sync/trigger', { spaceId: space.id })).status).toBe(200);
    const url = cloneUrl(demo.server.baseUrl, space.id, demo.demo.username, demo.demo.token);
    expect(await filesOnMain(url)).toEqual(['Kept.md']);
    const vault = join(demo.env.dataDir, space.id);

    // While another replica holds the space, the delete waits, then answers 503 and touches nothing.
    const lock = await holdSpaceLock(demo.env, space.id, 10_000);
    try {
      const busy = await api('DELETE', `/api/spaces/${space.id}`);
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('1');
    } finally {
      await lock.release();
    }
    expect(existsSync(join(vault, '.git', 'HEAD'))).toBe(true);
    expect((await api('GET', `/api/spaces/${space.id}`)).status).toBe(200);

    expect((await api('DELETE', `/api/spaces/${space.id}`)).status).toBe(204);
    expect(existsSync(vault)).toBe(false);
    const trash = (await readdir(join(demo.env.dataDir, '.trash'))).filter((name) => name.startsWith(`${space.id}.`));
    expect(trash).toHaveLength(1);
    expect(existsSync(join(demo.env.dataDir, '.trash', trash[0], '.git', 'HEAD'))).toBe(true);
    expect((await api('GET', `/api/spaces/${space.id}`)).status).toBe(404);
    expect((await api<{ id: string }[]>('GET', '/api/spaces')).body.map((s) => s.id)).not.toContain(space.id);
    expect((await api('GET', `/api/spaces/${space.id}/pages`)).status).toBe(404);
    expect((await git.run(['ls-remote', url])).code).not.toBe(0);
    expect((await api('DELETE', `/api/spaces/${space.id}`)).status).toBe(404);

    const restored = await api<{ id: string; gitSyncEnabled: boolean }>('POST', `/api/spaces/${space.id}/restore`);
    expect(restored).toMatchObject({ status: 200, body: { id: space.id, gitSyncEnabled: true } });
    expect(existsSync(join(vault, '.git', 'HEAD'))).toBe(true);
    expect(await readdir(join(demo.env.dataDir, '.trash'))).not.toContain(trash[0]);
    expect((await api<PageNode[]>('GET', `/api/spaces/${space.id}/pages`)).body.map((p) => p.id)).toEqual([kept.id]);
    expect((await api<PageNode[]>('GET', `/api/spaces/${space.id}/pages?deleted=true`)).body.map((p) => p.id)).toEqual([
      earlier.id,
    ]);
    expect(await filesOnMain(url)).toEqual(['Kept.md']);
    // Restoring a live space changes nothing.
    expect((await api('POST', `/api/spaces/${space.id}/restore`)).status).toBe(200);
    expect(await filesOnMain(url)).toEqual(['Kept.md']);
  });
});
