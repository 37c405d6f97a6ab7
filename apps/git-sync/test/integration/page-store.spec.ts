import { randomUUID } from 'node:crypto';
import {
  InvalidPageParentError,
  InvalidSpaceIdError,
  PageNotFoundError,
  type PageWriteEvent,
  SpaceNotFoundError,
} from '../../src/engine';
import { describeEachBackend, openTestEngine, useTestEngine } from './support/test-engine';

describeEachBackend('page store on %s', (backend) => {
  const t = useTestEngine(backend);

  it('creates, lists and opts spaces in and out of git-sync', async () => {
    const a = await t.pages.createSpace({ name: 'A' });
    const b = await t.pages.createSpace({ name: 'B', gitSyncEnabled: true });
    expect(a.gitSyncEnabled).toBe(false);
    expect((await t.pages.getSpace(b.id))!.gitSyncEnabled).toBe(true);
    let enabled = (await t.pages.listSpaces({ gitSyncEnabled: true })).map((s) => s.id);
    expect(enabled).toContain(b.id);
    expect(enabled).not.toContain(a.id);

    await t.pages.setGitSyncEnabled(a.id, true);
    await t.pages.setGitSyncEnabled(b.id, false);
    enabled = (await t.pages.listSpaces({ gitSyncEnabled: true })).map((s) => s.id);
    expect(enabled).toContain(a.id);
    expect(enabled).not.toContain(b.id);
    expect((await t.pages.listSpaces()).map((s) => s.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    await expect(t.pages.setGitSyncEnabled(randomUUID(), true)).rejects.toBeInstanceOf(SpaceNotFoundError);
    await expect(t.pages.getSpace('nope')).rejects.toBeInstanceOf(InvalidSpaceIdError);
  });

  it('deletes a space with its live pages, and restores exactly those pages with it', async () => {
    const space = await t.pages.createSpace({ name: 'Doomed' });
    const kept = await t.pages.createPage(space.id, { title: 'Kept' }, 'user');
    const before = await t.pages.createPage(space.id, { title: 'Deleted before' }, 'user');
    await t.pages.softDelete(space.id, before.id, 'user');
    await t.pages.deleteSpace(space.id);
    expect(await t.pages.getSpace(space.id)).toBeUndefined();
    expect((await t.pages.listSpaces()).map((s) => s.id)).not.toContain(space.id);
    expect((await t.pages.listDeleted(space.id)).map((p) => p.id).sort()).toEqual([kept.id, before.id].sort());
    await expect(t.pages.deleteSpace(space.id)).rejects.toBeInstanceOf(SpaceNotFoundError);

    expect((await t.pages.restoreSpace(space.id)).id).toBe(space.id);
    expect((await t.pages.listTree(space.id)).map((p) => [p.id, p.revision])).toEqual([[kept.id, 3]]);
    expect((await t.pages.listDeleted(space.id)).map((p) => p.id)).toEqual([before.id]);
    expect((await t.pages.restoreSpace(space.id)).id).toBe(space.id);
    await expect(t.pages.restoreSpace(randomUUID())).rejects.toBeInstanceOf(SpaceNotFoundError);
  });

  it('records the source of every write and announces it to listeners', async () => {
    const space = await t.pages.createSpace({ name: 'Sources' });
    const events: PageWriteEvent[] = [];
    const off = t.pages.onPageWrite((e) => events.push(e));
    const parent = await t.pages.createPage(space.id, { title: 'Parent' }, 'user');
    const page = await t.pages.createPage(space.id, { title: 'Page', content: 'x' }, 'git-sync');
    expect(page.lastUpdatedSource).toBe('git-sync');
    expect((await t.pages.updateContent(space.id, page.id, 'y', 'user')).lastUpdatedSource).toBe('user');
    expect((await t.pages.rename(space.id, page.id, 'Renamed', 'git-sync')).lastUpdatedSource).toBe('git-sync');
    expect((await t.pages.move(space.id, page.id, parent.id, 'user')).parentPageId).toBe(parent.id);
    expect((await t.pages.softDelete(space.id, page.id, 'git-sync')).deletedAt).not.toBeNull();
    const restored = await t.pages.restore(space.id, page.id, 'user');
    expect(restored.deletedAt).toBeNull();
    expect(restored.revision).toBe(6);
    off();
    await t.pages.updateContent(space.id, page.id, 'unheard', 'user');

    expect(events.map((e) => [e.kind, e.source])).toEqual([
      ['create', 'user'],
      ['create', 'git-sync'],
      ['update-content', 'user'],
      ['rename', 'git-sync'],
      ['move', 'user'],
      ['delete', 'git-sync'],
      ['restore', 'user'],
    ]);
    expect(events.every((e) => e.spaceId === space.id)).toBe(true);
  });

  it('lists the live tree without content, reads content by id and finds ids only within the space', async () => {
    const space = await t.pages.createSpace({ name: 'Tree' });
    const other = await t.pages.createSpace({ name: 'Elsewhere' });
    const a = await t.pages.createPage(space.id, { title: 'A', content: 'aaa' }, 'user');
    const b = await t.pages.createPage(space.id, { title: 'B', parentPageId: a.id, content: 'bbb' }, 'user');
    const c = await t.pages.createPage(space.id, { title: 'C', content: 'ccc' }, 'user');
    const foreign = await t.pages.createPage(other.id, { title: 'F', content: 'fff' }, 'user');
    await t.pages.softDelete(space.id, c.id, 'user');

    const tree = await t.pages.listTree(space.id);
    expect(tree.map((n) => [n.title, n.parentPageId])).toEqual([
      ['A', null],
      ['B', a.id],
    ]);
    expect(tree[0]).not.toHaveProperty('content');
    const contents = await t.pages.readContents(space.id, [a.id, b.id, c.id, foreign.id, 'junk']);
    expect([...contents]).toEqual(
      expect.arrayContaining([
        [a.id, 'aaa'],
        [b.id, 'bbb'],
      ]),
    );
    expect(contents.size).toBe(2);

    const found = await t.pages.findIds(space.id, [a.id, c.id, foreign.id, randomUUID(), 'not-a-uuid']);
    expect(Object.fromEntries(found)).toEqual({ [a.id]: { deleted: false }, [c.id]: { deleted: true } });
  });

  it('rejects writes to missing pages, foreign parents and parent cycles with typed errors', async () => {
    const space = await t.pages.createSpace({ name: 'Errors' });
    const other = await t.pages.createSpace({ name: 'Other' });
    const a = await t.pages.createPage(space.id, { title: 'A' }, 'user');
    const b = await t.pages.createPage(space.id, { title: 'B', parentPageId: a.id }, 'user');
    const foreign = await t.pages.createPage(other.id, { title: 'F' }, 'user');

    await expect(t.pages.updateContent(space.id, foreign.id, 'x', 'user')).rejects.toBeInstanceOf(PageNotFoundError);
    await expect(t.pages.updateContent(space.id, 'nope', 'x', 'user')).rejects.toMatchObject({
      pageId: 'nope',
      spaceId: space.id,
    });
    await expect(t.pages.move(space.id, a.id, b.id, 'user')).rejects.toMatchObject({
      name: 'InvalidPageParentError',
      reason: 'cycle',
    });
    await expect(t.pages.createPage(space.id, { title: 'X', parentPageId: foreign.id }, 'user')).rejects.toBeInstanceOf(
      InvalidPageParentError,
    );
    await expect(t.pages.createPage(randomUUID(), { title: 'X' }, 'user')).rejects.toBeInstanceOf(SpaceNotFoundError);
    expect((await t.pages.getPage(other.id, foreign.id))!.title).toBe('F');
  });
});

describe('embedded database', () => {
  it('persists across a restart', async () => {
    const t = await openTestEngine('pglite');
    try {
      const space = await t.pages.createSpace({ name: 'Durable' });
      await t.pages.createPage(space.id, { title: 'Kept', content: 'still here' }, 'user');
      await t.close();
      const again = await t.reopen();
      expect(again.backend).toBe('pglite');
      const [page] = await again.pages.listTree(space.id);
      expect(page.title).toBe('Kept');
      expect((await again.pages.readContents(space.id, [page.id])).get(page.id)).toBe('still here');
    } finally {
      await t.dispose();
    }
  });
});
