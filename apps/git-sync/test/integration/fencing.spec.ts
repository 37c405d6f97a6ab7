import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  currentFence,
  GitAbortedError,
  GitRunner,
  MAIN_REF,
  type Page,
  StaleFencingTokenError,
} from '../../src/engine';
import { GitClient } from './support/git-client';
import { describeEachBackend, useTestEngine } from './support/test-engine';

describeEachBackend('fenced writes on %s', (backend) => {
  const t = useTestEngine(backend);

  async function expectRefused(
    write: Promise<unknown>,
    spaceId: string,
    token: number,
    currentToken: number,
  ): Promise<void> {
    const error = await write.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StaleFencingTokenError);
    expect(error).toMatchObject({ spaceId, token, currentToken });
  }

  it('refuses every kind of page write from a token lower than one that has written, and applies none of it', async () => {
    const space = await t.pages.createSpace({ name: 'Fenced' });
    const parent = await t.pages.createPage(space.id, { title: 'Parent' }, 'user');
    const page = await t.pages.createPage(space.id, { title: 'Page', content: 'v1' }, 'git-sync', { fencingToken: 8 });
    expect(await currentFence(t.db, space.id)).toBe(8);
    const gone = await t.pages.createPage(space.id, { title: 'Gone' }, 'user');
    await t.pages.softDelete(space.id, gone.id, 'user');
    const before = (await t.pages.listTree(space.id)).map((n) => [n.id, n.title, n.parentPageId, n.revision]);

    const stale = { fencingToken: 7 };
    await expectRefused(t.pages.createPage(space.id, { title: 'Stale' }, 'git-sync', stale), space.id, 7, 8);
    await expectRefused(t.pages.updateContent(space.id, page.id, 'stale', 'git-sync', stale), space.id, 7, 8);
    await expectRefused(t.pages.rename(space.id, page.id, 'Stale', 'git-sync', stale), space.id, 7, 8);
    await expectRefused(
      t.pages.updatePage(space.id, page.id, { content: 'stale', title: 'Stale' }, 'git-sync', stale),
      space.id,
      7,
      8,
    );
    await expectRefused(t.pages.move(space.id, page.id, parent.id, 'git-sync', undefined, stale), space.id, 7, 8);
    await expectRefused(t.pages.softDelete(space.id, page.id, 'git-sync', stale), space.id, 7, 8);
    await expectRefused(t.pages.restore(space.id, gone.id, 'git-sync', stale), space.id, 7, 8);
    await expectRefused(
      t.conflicts.record(space.id, [{ pageId: page.id, path: 'Page.md', base: null, wiki: 'w', git: 'g' }], stale),
      space.id,
      7,
      8,
    );

    expect((await t.pages.listTree(space.id)).map((n) => [n.id, n.title, n.parentPageId, n.revision])).toEqual(before);
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe('v1');
    expect((await t.pages.getPage(space.id, gone.id))!.deletedAt).not.toBeNull();
    expect(await t.conflicts.list(space.id)).toEqual([]);
    expect(await currentFence(t.db, space.id)).toBe(8);
  });

  it('lets the same token write again, a higher one raise the fence, and unfenced edits through', async () => {
    const space = await t.pages.createSpace({ name: 'Raised' });
    const page = await t.pages.createPage(space.id, { title: 'Page', content: 'a' }, 'git-sync', { fencingToken: 3 });
    await t.pages.updateContent(space.id, page.id, 'b', 'git-sync', { fencingToken: 3 });
    await t.pages.updateContent(space.id, page.id, 'c', 'git-sync', { fencingToken: 9 });
    expect(await currentFence(t.db, space.id)).toBe(9);
    await expectRefused(t.pages.updateContent(space.id, page.id, 'd', 'git-sync', { fencingToken: 3 }), space.id, 3, 9);
    // An editor holds no lock: its writes are not fenced, and they do not move the fence.
    const edited: Page = await t.pages.updateContent(space.id, page.id, 'from the API', 'user');
    expect(edited.content).toBe('from the API');
    expect(await currentFence(t.db, space.id)).toBe(9);
  });

  it('refuses a token that is not a positive safe integer before anything is written', async () => {
    const space = await t.pages.createSpace({ name: 'Bad token' });
    const page = await t.pages.createPage(space.id, { title: 'Page', content: 'a' }, 'user');
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(t.pages.updateContent(space.id, page.id, 'x', 'git-sync', { fencingToken: bad })).rejects.toThrow(
        /`fencingToken`/,
      );
    }
    expect((await t.pages.getPage(space.id, page.id))!).toMatchObject({ content: 'a', revision: 1 });
    expect(await currentFence(t.db, space.id)).toBeUndefined();
  });

  it('aborts a cycle whose token is stale at its first store write, leaving last-pushed for the next holder', async () => {
    const space = await t.pages.createSpace({ name: 'Stale cycle' });
    const page = await t.pages.createPage(space.id, { title: 'Doc', content: 'one\n' }, 'user');
    await t.sync.runCycle(space.id, { fencingToken: 5 });
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    await client.write('Doc.md', `---\nid: ${page.id}\n---\ntwo from git\n`);
    await client.commitAll('edit');
    await client.push();
    // A later holder (token 6) has written meanwhile; the holder of token 5 resumes and runs a cycle.
    await t.pages.updateContent(space.id, page.id, 'three from a later holder\n', 'git-sync', { fencingToken: 6 });
    const vault = t.sync.vault(space.id);
    const lastPushed = (await vault.readRefs()).lastPushed;

    const error = await t.sync.runCycle(space.id, { fencingToken: 5 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StaleFencingTokenError);
    expect(error).toMatchObject({ spaceId: space.id, token: 5, currentToken: 6 });
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe('three from a later holder\n');
    expect((await vault.readRefs()).lastPushed).toBe(lastPushed);

    // The next holder picks the push up: main kept "two from git", the merge rule's winner.
    const status = await t.sync.runCycle(space.id, { fencingToken: 7 });
    expect(status.push.failures).toBe(0);
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe('two from git\n');
    const refs = await vault.readRefs();
    expect(refs.lastPushed).toBe(refs.main);
    expect((await client.text(['ls-remote', 'origin', MAIN_REF])).split(/\s/)[0]).toBe(refs.main);
  });
});

describe('git commands under a lock signal', () => {
  it('kills a running git command when the signal aborts, with GitAbortedError carrying the reason', async () => {
    // A server that accepts and never answers: git waits on it until something kills it.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connected = once(server, 'connection');
    const { port } = server.address() as AddressInfo;
    try {
      const controller = new AbortController();
      const running = new GitRunner({ timeoutMs: 600_000 })
        .run(['ls-remote', `http://127.0.0.1:${port}/never.git`], {
          signal: controller.signal,
          env: { NO_PROXY: '*', no_proxy: '*' },
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      await connected;
      const reason = new Error('lock lost');
      controller.abort(reason);
      const error = await running;
      expect(error).toBeInstanceOf(GitAbortedError);
      expect((error as GitAbortedError).reason).toBe(reason);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('runs nothing once the signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('lock lost'));
    await expect(new GitRunner().run(['--version'], { signal: controller.signal })).rejects.toBeInstanceOf(
      GitAbortedError,
    );
  });
});
