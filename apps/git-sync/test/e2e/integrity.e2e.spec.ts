import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { type DemoServer, type E2eEnv, startDemoServer, STORES } from './support/e2e-env';
import { GitCli, writeFileIn } from './support/git-cli';
import { eventually, type ServerProcess } from './support/server-process';

interface PageNode {
  id: string;
  title: string;
  parentPageId: string | null;
}

interface Page extends PageNode {
  content: string;
  revision: number;
}

interface ConflictRecord {
  id: string;
  pageId: string | null;
  path: string;
  base: string | null;
  wiki: string | null;
  git: string | null;
  dismissedAt: string | null;
}

/**
 * What git-sync does with pushes it must merge, refuse or report on: the
 * running server, the real git client, on each page store.
 */
describe.each(STORES)('git-sync integrity end to end on %s', (store) => {
  let suite: DemoServer;
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let git: GitCli;
  let url: string;
  let clones = 0;

  beforeAll(async () => {
    suite = await startDemoServer(`integrity-${store}`, store, {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      // Long enough that an API edit is still unsynced when the next push arrives.
      GIT_SYNC_DEBOUNCE_MS: '600000',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '3000',
      GIT_SYNC_LOCK_TTL_MS: '5000',
    });
    ({ env, server, demo, url } = suite);
    git = new GitCli(env.tmp);
    await mkdir(join(env.tmp, 'clones'), { recursive: true });
  });

  afterAll(async () => {
    await suite?.stop();
  });

  const pagesPath = () => `/api/spaces/${demo.spaceId}/pages`;
  const tree = async () => (await server.api<PageNode[]>('GET', pagesPath())).body;
  const pageByTitle = async (title: string) => (await tree()).find((p) => p.title === title);
  const readPage = async (id: string) => (await server.api<Page>('GET', `${pagesPath()}/${id}`)).body;

  const clone = async () => {
    const dir = join(env.tmp, 'clones', `c${++clones}`);
    const result = await git.run(['clone', '-q', url, dir]);
    if (result.code !== 0) throw new Error(`git clone failed:\n${result.stderr}`);
    return dir;
  };

  const commit = async (dir: string, message: string) => {
    await git.ok(['add', '-A'], dir);
    await git.ok(['commit', '-q', '-m', message], dir);
  };

  const push = (dir: string, ...args: string[]) => git.run(['push', ...(args.length ? args : ['origin', 'HEAD:main'])], dir);

  const pushOk = async (dir: string) => {
    const out = await push(dir);
    if (out.code !== 0) throw new Error(`git push failed:\n${out.stderr}`);
    return out;
  };

  it('merges a page both sides edited per hunk: the wiki edit of another paragraph survives, git wins the shared one, and the loss is recorded', async () => {
    const paragraphs = (p1: string, p3: string, p5: string) => `${p1}\n\ntwo\n\n${p3}\n\nfour\n\n${p5}\n`;
    const created = await server.api<Page>('POST', pagesPath(), { title: 'Plan', content: paragraphs('one', 'three', 'five') });
    expect(created.status).toBe(201);
    await server.api('POST', '/api/git-sync/trigger', { spaceId: demo.spaceId });
    const dir = await clone();

    // The wiki edits paragraphs 1 and 3; git edits 1 and 5 before the wiki edit has synced.
    const edited = await server.api('PATCH', `${pagesPath()}/${created.body.id}`, { content: paragraphs('one (wiki)', 'three (wiki)', 'five') });
    expect(edited.status).toBe(200);
    const file = join(dir, 'Plan.md');
    const text = await readFile(file, 'utf8');
    await writeFileIn(dir, 'Plan.md', text.replace('one\n', 'one (git)\n').replace('five\n', 'five (git)\n'));
    await commit(dir, 'edit paragraphs 1 and 5');
    await pushOk(dir);

    const merged = paragraphs('one (git)', 'three (wiki)', 'five (git)');
    await eventually(async () => ((await readPage(created.body.id)).content === merged ? true : undefined), 'the merged page in the store');
    await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
    const pulled = await readFile(file, 'utf8');
    expect(pulled).toContain(merged);
    expect(pulled).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);

    const conflicts = await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts`);
    expect(conflicts.status).toBe(200);
    expect(conflicts.body).toEqual([expect.objectContaining({ pageId: created.body.id, path: 'Plan.md', dismissedAt: null })]);
    const [record] = conflicts.body;
    expect(record.wiki).toContain('one (wiki)');
    expect(record.git).toContain('one (git)');
    expect(record.base).toContain('one\n');

    const openCount = async () => {
      const status = await server.api<{ spaces: Array<{ result: { spaceId: string }; openConflicts: number }> }>('GET', '/api/git-sync/status');
      return status.body.spaces.find((s) => s.result.spaceId === demo.spaceId)?.openConflicts;
    };
    expect(await openCount()).toBe(1);
    const dismissed = await server.api<ConflictRecord>('POST', `/api/spaces/${demo.spaceId}/conflicts/${record.id}/dismiss`);
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.dismissedAt).not.toBeNull();
    expect(await openCount()).toBe(0);
    expect((await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts`)).body).toEqual([]);
    expect((await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts?status=all`)).body).toHaveLength(1);
    expect((await server.api('POST', `/api/spaces/${demo.spaceId}/conflicts/00000000-0000-4000-8000-000000000000/dismiss`)).status).toBe(404);
  });

  it('gives a pushed folder without a page of its own a parent page, so the tree stays as pushed', async () => {
    const dir = await clone();
    await writeFileIn(dir, 'Projects/Roadmap.md', '# Roadmap\n');
    await commit(dir, 'a page in a folder');
    await pushOk(dir);

    const roadmap = await eventually(() => pageByTitle('Roadmap'), 'the pushed page');
    const folder = (await tree()).find((p) => p.title === 'Projects');
    expect(folder).toBeDefined();
    expect(roadmap.parentPageId).toBe(folder!.id);
    await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
    expect(await readFile(join(dir, 'Projects.md'), 'utf8')).toBe(`---\nid: ${folder!.id}\n---\n`);
    expect(await readFile(join(dir, 'Projects', 'Roadmap.md'), 'utf8')).toContain('# Roadmap');
  });

  it('keeps the page of a file whose id front matter was stripped, instead of creating a duplicate', async () => {
    const dir = await clone();
    const before = (await tree()).length;
    const welcome = (await pageByTitle('Welcome'))!;
    await writeFileIn(dir, 'Welcome.md', 'Front matter removed by an editor.\n');
    await commit(dir, 'strip the front matter');
    await pushOk(dir);

    await eventually(async () => ((await readPage(welcome.id)).content === 'Front matter removed by an editor.\n' ? true : undefined), 'the edit on the same page');
    expect((await tree()).length).toBe(before);
    await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
    expect(await readFile(join(dir, 'Welcome.md'), 'utf8')).toBe(`---\nid: ${welcome.id}\n---\nFront matter removed by an editor.\n`);
  });
});
