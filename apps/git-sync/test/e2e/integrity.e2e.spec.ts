import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { type DemoServer, type E2eEnv, holdSpaceLock, startDemoServer, STORES } from './support/e2e-env';
import { GitCli, writeFileIn } from './support/git-cli';
import { type ServerProcess } from './support/server-process';
import { eventually, waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';

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
      // Generous: the test of the waiting notice holds the lock until it sees the notice logged.
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '20000',
      GIT_SYNC_LOCK_TTL_MS: '5000',
      GIT_SYNC_MAX_FILE_BYTES: String(64 * 1024),
      GIT_SYNC_MAX_PUSH_FILES: '20',
      GIT_SYNC_MAX_PUSH_BYTES: String(2 * 1024 * 1024),
      // Far above what a small push takes even on a loaded machine, and short enough to wait out.
      GIT_SYNC_PUSH_DEADLINE_MS: '5000',
      GIT_SYNC_BACKEND_TIMEOUT_MS: '60000',
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

  const push = (dir: string, ...args: string[]) =>
    git.run(['push', ...(args.length ? args : ['origin', 'HEAD:main'])], dir);

  const pushOk = async (dir: string) => {
    const out = await push(dir);
    if (out.code !== 0) throw new Error(`git push failed:\n${out.stderr}`);
    return out;
  };

  it('merges a page both sides edited per hunk: the wiki edit of another paragraph survives, git wins the shared one, and the loss is recorded', async () => {
    const paragraphs = (p1: string, p3: string, p5: string) => `${p1}\n\ntwo\n\n${p3}\n\nfour\n\n${p5}\n`;
    const created = await server.api<Page>('POST', pagesPath(), {
      title: 'Plan',
      content: paragraphs('one', 'three', 'five'),
    });
    expect(created.status).toBe(201);
    await server.api('POST', '/api/git-sync/trigger', { spaceId: demo.spaceId });
    const dir = await clone();

    // The wiki edits paragraphs 1 and 3; git edits 1 and 5 before the wiki edit has synced.
    const edited = await server.api('PATCH', `${pagesPath()}/${created.body.id}`, {
      content: paragraphs('one (wiki)', 'three (wiki)', 'five'),
    });
    expect(edited.status).toBe(200);
    const file = join(dir, 'Plan.md');
    const text = await readFile(file, 'utf8');
    await writeFileIn(dir, 'Plan.md', text.replace('one\n', 'one (git)\n').replace('five\n', 'five (git)\n'));
    await commit(dir, 'edit paragraphs 1 and 5');
    await pushOk(dir);

    const merged = paragraphs('one (git)', 'three (wiki)', 'five (git)');
    await eventually(
      async () => ((await readPage(created.body.id)).content === merged ? true : undefined),
      'the merged page in the store',
    );
    await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
    const pulled = await readFile(file, 'utf8');
    expect(pulled).toContain(merged);
    expect(pulled).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);

    const conflicts = await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts`);
    expect(conflicts.status).toBe(200);
    expect(conflicts.body).toEqual([
      expect.objectContaining({ pageId: created.body.id, path: 'Plan.md', dismissedAt: null }),
    ]);
    const [record] = conflicts.body;
    expect(record.wiki).toContain('one (wiki)');
    expect(record.git).toContain('one (git)');
    expect(record.base).toContain('one\n');

    const openCount = async () => {
      const status = await server.api<{ spaces: Array<{ result: { spaceId: string }; openConflicts: number }> }>(
        'GET',
        '/api/git-sync/status',
      );
      return status.body.spaces.find((s) => s.result.spaceId === demo.spaceId)?.openConflicts;
    };
    expect(await openCount()).toBe(1);
    const dismissed = await server.api<ConflictRecord>(
      'POST',
      `/api/spaces/${demo.spaceId}/conflicts/${record.id}/dismiss`,
    );
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.dismissedAt).not.toBeNull();
    expect(await openCount()).toBe(0);
    expect((await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts`)).body).toEqual([]);
    expect(
      (await server.api<ConflictRecord[]>('GET', `/api/spaces/${demo.spaceId}/conflicts?status=all`)).body,
    ).toHaveLength(1);
    expect(
      (await server.api('POST', `/api/spaces/${demo.spaceId}/conflicts/00000000-0000-4000-8000-000000000000/dismiss`))
        .status,
    ).toBe(404);
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

    await eventually(
      async () => ((await readPage(welcome.id)).content === 'Front matter removed by an editor.\n' ? true : undefined),
      'the edit on the same page',
    );
    expect((await tree()).length).toBe(before);
    await git.ok(['pull', '-q', '--ff-only', 'origin', 'main'], dir);
    expect(await readFile(join(dir, 'Welcome.md'), 'utf8')).toBe(
      `---\nid: ${welcome.id}\n---\nFront matter removed by an editor.\n`,
    );
  });

  /** The `remote: git-sync: …` report of a push, parsed into its counts. */
  const report = (stderr: string) => {
    const counts: Record<string, number> = {};
    for (const m of stderr.matchAll(/^remote: git-sync: (.+)$/gm)) {
      for (const part of m[1].split(/, |; /)) {
        const kv = /^(?:pages )?([a-z][a-z -]*?): (\d+)/.exec(part);
        if (kv) counts[kv[1]] = Number(kv[2]);
      }
    }
    return counts;
  };

  it('returns only once the push is in the page store, and reports what the wiki did with it', async () => {
    const dir = await clone();
    const welcome = (await pageByTitle('Welcome'))!;
    await writeFileIn(dir, 'Reported.md', 'new page\n');
    await writeFileIn(dir, 'Welcome.md', `${await readFile(join(dir, 'Welcome.md'), 'utf8')}\nOne more line.\n`);
    await commit(dir, 'a page and an edit');
    const out = await pushOk(dir);

    // No waiting: the push has returned, so the store already has it.
    expect(await pageByTitle('Reported')).toBeDefined();
    expect((await readPage(welcome.id)).content).toContain('One more line.');
    expect(report(out.stderr)).toEqual({ created: 1, updated: 1, renamed: 0, moved: 0, deleted: 0 });
  });

  it('a push that waits for the lock says so on a remote: line, then goes through', async () => {
    const dir = await clone();
    await writeFileIn(dir, 'Waited.md', 'pushed while a sync ran\n');
    await commit(dir, 'wait for the lock');
    // git runs pre-push between the ref advertisement and sending the pack: the lock is taken there.
    const ready = join(env.tmp, `ready-${store}`);
    const go = join(env.tmp, `go-${store}`);
    await writeFile(
      join(dir, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\ntouch '${ready}'\ni=0\nwhile [ ! -f '${go}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n`,
      { mode: 0o755 },
    );
    const pushing = push(dir);
    await eventually(
      () =>
        access(ready).then(
          () => true,
          () => undefined,
        ),
      'the push between advertisement and pack',
    );

    const lock = await holdSpaceLock(env, demo.spaceId, 30_000);
    try {
      await writeFile(go, '');
      await waitFor('the waiting notice', () => server.logs.some((l) => l.msg === 'push waiting for the space lock'));
    } finally {
      await lock.release();
    }
    const out = await pushing;
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^remote: git-sync: this space is busy with a sync; the push waits for it to finish/m);
    expect(report(out.stderr)).toMatchObject({ created: 1 });
    expect(await pageByTitle('Waited')).toBeDefined();
  });

  it('holds back a pushed file with conflict markers, reports it, and applies it once fixed', async () => {
    const dir = await clone();
    const welcome = (await pageByTitle('Welcome'))!;
    const before = (await readPage(welcome.id)).content;
    const original = await readFile(join(dir, 'Welcome.md'), 'utf8');
    await writeFileIn(dir, 'Welcome.md', `${original}<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n`);
    await commit(dir, 'an unresolved merge');
    const held = await pushOk(dir);
    expect(report(held.stderr)).toMatchObject({ 'files held back': 1, updated: 0 });
    expect((await readPage(welcome.id)).content).toBe(before);

    await git.ok(['pull', '-q', '--no-rebase', '-X', 'theirs', 'origin', 'main'], dir);
    await writeFileIn(dir, 'Welcome.md', `${original}resolved\n`);
    await commit(dir, 'resolved');
    const fixed = await pushOk(dir);
    expect(report(fixed.stderr)).toMatchObject({ updated: 1 });
    expect((await readPage(welcome.id)).content).toContain('resolved\n');
  });

  describe('refused pushes change nothing and say why', () => {
    const vaultMain = () => git.ok(['rev-parse', 'main'], join(env.dataDir, demo.spaceId));

    /** Pushes, expects a refusal, and checks main did not move. */
    const refused = async (dir: string, ...args: string[]) => {
      const before = await vaultMain();
      const out = await push(dir, ...args);
      expect(out.code).not.toBe(0);
      expect(await vaultMain()).toBe(before);
      return out.stderr;
    };

    const committed = async (files: Record<string, string | Buffer>) => {
      const dir = await clone();
      for (const [path, content] of Object.entries(files)) await writeFileIn(dir, path, content);
      await commit(dir, 'content to refuse');
      return dir;
    };

    it('a rewind of main (push -f) is refused with how to recover', async () => {
      const dir = await clone();
      await writeFileIn(dir, 'Secret.md', 'a secret\n');
      await commit(dir, 'oops');
      await pushOk(dir);
      await git.ok(['reset', '-q', '--hard', 'HEAD~1'], dir);
      const stderr = await refused(dir, '-f', 'origin', 'HEAD:main');
      expect(stderr).toMatch(/remote: git-sync: {3}refs\/heads\/main: main cannot be rewritten/);
      expect(stderr).toMatch(/remote: .*git fetch origin && git rebase origin\/main/);
      expect(stderr).not.toMatch(/forced update/);
    });

    it('a push of an unrelated history is refused the same way, and sync goes on', async () => {
      const dir = await clone();
      await git.ok(['checkout', '-q', '--orphan', 'fresh'], dir);
      await git.ok(['rm', '-q', '-r', '-f', '.'], dir);
      await writeFileIn(dir, 'Other.md', 'unrelated\n');
      await commit(dir, 'a new root');
      expect(await refused(dir, '-f', 'origin', 'HEAD:main')).toMatch(/remote: .*main cannot be rewritten/);

      const next = await clone();
      await writeFileIn(next, 'After orphan.md', 'still syncing\n');
      await commit(next, 'later push');
      await pushOk(next);
      await eventually(() => pageByTitle('After orphan'), 'the next push in the store');
    });

    it('the engine refs are neither advertised nor writable, and deleting main is refused', async () => {
      const refs = await git.ok(['ls-remote', url], env.tmp);
      expect(
        refs
          .split('\n')
          .map((l) => l.split('\t')[1])
          .sort(),
      ).toEqual(['HEAD', 'refs/heads/main']);
      const dir = await clone();
      await writeFileIn(dir, 'Empty.md', 'x\n');
      await commit(dir, 'to an engine ref');
      expect(await refused(dir, 'origin', 'HEAD:refs/heads/pages')).toMatch(
        /remote rejected.*(hidden ref|pre-receive)/,
      );
      expect(await refused(dir, 'origin', 'HEAD:refs/git-sync/last-pushed')).toMatch(/remote rejected/);
      expect(await refused(dir, 'origin', ':main')).toMatch(/remote rejected|deletion prohibited|cannot be deleted/);
    });

    it('a branch other than main and a tag are refused: only main is synced', async () => {
      const dir = await clone();
      await writeFileIn(dir, 'Branch.md', 'on a branch\n');
      await commit(dir, 'a branch');
      expect(await refused(dir, 'origin', 'HEAD:refs/heads/feature')).toMatch(
        /remote: git-sync: {3}refs\/heads\/feature: only main is synced/,
      );
      await git.ok(['tag', 'v1'], dir);
      expect(await refused(dir, 'origin', 'refs/tags/v1')).toMatch(
        /remote: git-sync: {3}refs\/tags\/v1: only main is synced/,
      );
      const refs = await git.ok(['ls-remote', url], env.tmp);
      expect(refs).not.toMatch(/feature|v1/);
    });

    it('names each bad page file and its reason: NUL byte, invalid UTF-8, oversize, symlink', async () => {
      const dir = await committed({
        'Nul.md': Buffer.from('text\0more\n'),
        'Latin.md': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
        'Huge.md': 'x'.repeat(70 * 1024),
        'Fine.md': 'fine\n',
      });
      const stderr = await refused(dir);
      expect(stderr).toMatch(/remote: git-sync: push refused; nothing was changed/);
      expect(stderr).toMatch(/remote: git-sync: {3}Nul\.md: holds a NUL byte/);
      expect(stderr).toMatch(/remote: git-sync: {3}Latin\.md: is not valid UTF-8/);
      expect(stderr).toMatch(
        /remote: git-sync: {3}Huge\.md: is 71680 bytes, over the limit of 65536 \(GIT_SYNC_MAX_FILE_BYTES\)/,
      );
      expect(stderr).not.toMatch(/Fine\.md/);
      expect(await pageByTitle('Fine')).toBeUndefined();
    });

    it('refuses a symbolic link or a submodule at a page path', async () => {
      const dir = await clone();
      await git.ok(
        ['update-index', '--add', '--cacheinfo', `120000,${await hashText(dir, 'Welcome.md')},Link.md`],
        dir,
      );
      await git.ok(
        ['update-index', '--add', '--cacheinfo', `160000,${await git.ok(['rev-parse', 'HEAD'], dir)},Module.md`],
        dir,
      );
      await git.ok(['commit', '-q', '-m', 'a symlink and a submodule'], dir);
      const stderr = await refused(dir);
      expect(stderr).toMatch(/remote: git-sync: {3}Link\.md: is a symbolic link/);
      expect(stderr).toMatch(/remote: git-sync: {3}Module\.md: is a submodule/);
    });

    it('refuses a push adding more files than the limit', async () => {
      const files = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`Many/Page ${i}.md`, `page ${i}\n`]));
      const dir = await committed(files);
      expect(await refused(dir)).toMatch(
        /remote: git-sync: {3}this push adds 21 files, over the limit of 20 \(GIT_SYNC_MAX_PUSH_FILES\)/,
      );
    });

    it('refuses a request body over the push limit with 413', async () => {
      const dir = await committed({ 'Big/blob.bin': randomBytes(3 * 1024 * 1024) });
      expect(await refused(dir)).toMatch(/413|larger than this server accepts/);
    });

    it('cuts off a push whose body trickles in past the deadline, releases the space, and applies nothing', async () => {
      const before = await vaultMain();
      const status = await trickle(
        `${server.baseUrl}/git/${demo.spaceId}.git/git-receive-pack`,
        demo.username,
        demo.token,
      );
      expect(status).toBe(504);
      expect(await vaultMain()).toBe(before);
      const dir = await committed({ 'After deadline.md': 'the space is free again\n' });
      await pushOk(dir);
      await eventually(() => pageByTitle('After deadline'), 'the next push in the store');
    });
  });
});

/** The blob id of a text, written into the clone's object store; used as a symlink target. */
async function hashText(dir: string, text: string): Promise<string> {
  const file = join(dir, '.git', 'link-target');
  await writeFile(file, text);
  return new GitCli(dirname(dir)).ok(['hash-object', '-w', file], dir);
}

/**
 * A receive-pack request whose body arrives one byte at a time and never
 * ends (bounded here by count), as a slow or hostile client would send it.
 * Resolves with the status the server answered, or 0 if it cut the connection.
 */
function trickle(target: string, username: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`,
        'content-type': 'application/x-git-receive-pack-request',
        'transfer-encoding': 'chunked',
      },
    });
    let sent = 0;
    const timer = setInterval(() => {
      // 600 bytes at 100 ms: a minute, far past the deadline; the server must cut it off first.
      if (sent++ >= 600) {
        clearInterval(timer);
        req.destroy(new Error('the server never cut off the trickling push'));
        return;
      }
      req.write('a');
    }, 100);
    // The length of a pkt-line whose 0x3fc bytes will never all arrive (0000 would end the request).
    req.write('03fc');
    req.on('response', (res) => {
      clearInterval(timer);
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (err) => {
      clearInterval(timer);
      if (sent < 600) resolve(0);
      else reject(err);
    });
  });
}
