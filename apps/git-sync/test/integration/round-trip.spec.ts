import { join } from 'node:path';
import type { PageWriteEvent } from '../../src/engine';
import { GitClient } from './support/git-client';
import { describeEachBackend, useTestEngine } from './support/test-engine';

const ID = /^---\nid: ([0-9a-f-]{36})\n---\n/;

describeEachBackend('round trip on %s', (backend) => {
  const t = useTestEngine(backend);

  async function seededSpace() {
    const space = await t.pages.createSpace({ name: 'Handbook', gitSyncEnabled: true });
    const guide = await t.pages.createPage(space.id, { title: 'Guide', content: '# Guide\n' }, 'user');
    const install = await t.pages.createPage(
      space.id,
      { title: 'Install', parentPageId: guide.id, content: 'npm install\n' },
      'user',
    );
    const deep = await t.pages.createPage(
      space.id,
      { title: 'Deep', parentPageId: install.id, content: 'deep\n' },
      'user',
    );
    const faq = await t.pages.createPage(space.id, { title: 'FAQ', content: 'Q&A\n' }, 'user');
    const old = await t.pages.createPage(space.id, { title: 'Old', content: 'to delete\n' }, 'user');
    return { space, guide, install, deep, faq, old };
  }

  it('writes the store as files that a clone shows', async () => {
    const { space, guide, install, deep, faq } = await seededSpace();
    const status = await t.sync.runCycle(space.id);
    expect(status.pull).toEqual({ written: 5, deleted: 0, conflicts: 0 });
    expect(status.push).toMatchObject({ created: 0, updated: 0, deleted: 0, failures: 0 });

    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const files = await client.files();
    expect([...files.keys()].sort()).toEqual([
      'FAQ.md',
      'Guide.md',
      'Guide/Install.md',
      'Guide/Install/Deep.md',
      'Old.md',
    ]);
    expect(files.get('Guide.md')).toBe(`---\nid: ${guide.id}\n---\n# Guide\n`);
    expect(files.get('Guide/Install.md')).toBe(`---\nid: ${install.id}\n---\nnpm install\n`);
    expect(files.get('Guide/Install/Deep.md')).toBe(`---\nid: ${deep.id}\n---\ndeep\n`);
    expect(files.get('FAQ.md')).toBe(`---\nid: ${faq.id}\n---\nQ&A\n`);
  });

  it('applies edits, additions, deletions, renames and moves pushed by a client, then rests', async () => {
    const { space, guide, install, deep, faq, old } = await seededSpace();
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));

    await client.write('Guide.md', `---\nid: ${guide.id}\n---\n# Guide, edited\n`);
    await client.write('Guide/New page.md', 'fresh content\n');
    await client.write('Brand new/Child.md', 'orphan child\n');
    await client.write('Brand new.md', 'top\n');
    await client.write('notes.txt', 'not a page\n');
    await client.write('.obsidian/app.md', 'dot path\n');
    await client.remove('Old.md');
    await client.move('FAQ.md', 'Questions.md');
    await client.move('Guide/Install/Deep.md', 'Deep.md');
    await client.move('Guide/Install.md', 'Guide/Setup.md');
    await client.commitAll('client edits');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.push).toMatchObject({ created: 3, updated: 1, deleted: 1, moved: 1, renamed: 2, failures: 0 });

    const tree = await t.pages.listTree(space.id);
    const byTitle = new Map(tree.map((n) => [n.title, n]));
    expect([...byTitle.keys()].sort()).toEqual([
      'Brand new',
      'Child',
      'Deep',
      'Guide',
      'New page',
      'Questions',
      'Setup',
    ]);
    expect(byTitle.get('Questions')!.id).toBe(faq.id);
    expect(byTitle.get('Setup')!.id).toBe(install.id);
    expect(byTitle.get('Setup')!.parentPageId).toBe(guide.id);
    expect(byTitle.get('Deep')!.id).toBe(deep.id);
    expect(byTitle.get('Deep')!.parentPageId).toBeNull();
    expect(byTitle.get('New page')!.parentPageId).toBe(guide.id);
    expect(byTitle.get('Child')!.parentPageId).toBe(byTitle.get('Brand new')!.id);
    expect((await t.pages.getPage(space.id, guide.id))!.content).toBe('# Guide, edited\n');
    expect((await t.pages.getPage(space.id, byTitle.get('New page')!.id))!.content).toBe('fresh content\n');
    expect((await t.pages.getPage(space.id, byTitle.get('New page')!.id))!.lastUpdatedSource).toBe('git-sync');
    expect((await t.pages.getPage(space.id, old.id))!.deletedAt).not.toBeNull();

    // The ids of new pages were written back, and files that are not pages were left alone.
    await client.pull();
    const files = await client.files();
    expect(files.get('Guide/New page.md')).toBe(`---\nid: ${byTitle.get('New page')!.id}\n---\nfresh content\n`);
    expect(files.get('Brand new/Child.md')).toMatch(ID);
    expect(files.get('notes.txt')).toBe('not a page\n');
    expect(files.get('.obsidian/app.md')).toBe('dot path\n');

    // A second cycle with nothing new makes no commit and no write.
    const writes: PageWriteEvent[] = [];
    const unsubscribe = t.pages.onPageWrite((e) => writes.push(e));
    const before = await client.text(['ls-remote', 'origin', 'refs/heads/main']);
    const again = await t.sync.runCycle(space.id);
    unsubscribe();
    expect(again).toEqual({
      pull: { written: 0, deleted: 0, conflicts: 0 },
      push: { created: 0, updated: 0, deleted: 0, moved: 0, renamed: 0, failures: 0, deferred: 0, heldBack: 0 },
      commits: 0,
    });
    expect(writes).toEqual([]);
    expect(await client.text(['ls-remote', 'origin', 'refs/heads/main'])).toBe(before);
  });

  it('reflects wiki edits in the next clone pull and records user and git-sync sources', async () => {
    const { space, faq } = await seededSpace();
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const sources: string[] = [];
    const unsubscribe = t.pages.onPageWrite((e) => sources.push(e.source));
    await t.pages.updateContent(space.id, faq.id, 'Answers\n', 'user');
    await t.pages.rename(space.id, faq.id, 'Answers', 'user');
    unsubscribe();
    expect(sources).toEqual(['user', 'user']);

    const status = await t.sync.runCycle(space.id);
    expect(status.pull).toEqual({ written: 1, deleted: 1, conflicts: 0 });
    await client.pull();
    const files = await client.files();
    expect(files.has('FAQ.md')).toBe(false);
    expect(files.get('Answers.md')).toBe(`---\nid: ${faq.id}\n---\nAnswers\n`);
    // The store side was not written back to itself.
    expect((await t.pages.getPage(space.id, faq.id))!.lastUpdatedSource).toBe('user');
  });
});
