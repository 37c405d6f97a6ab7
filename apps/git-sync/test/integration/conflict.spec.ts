import { join } from 'node:path';
import { GitClient } from './support/git-client';
import { describeEachBackend, type TestEngine, useTestEngine } from './support/test-engine';

describeEachBackend('conflicts on %s', (backend) => {
  const t = useTestEngine(backend);

  async function syncedSpace() {
    const space = await t.pages.createSpace({ name: 'Conflicts' });
    const page = await t.pages.createPage(space.id, { title: 'Shared', content: 'base\n' }, 'user');
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const vault = t.sync.vault(space.id);
    return { space, page, client, vault };
  }

  async function assertClean(vault: ReturnType<TestEngine['sync']['vault']>) {
    // No markers in any file of main, no merge state, and a working tree equal to main.
    const grep = await vault.run(['grep', '-l', '-E', '^(<<<<<<<|>>>>>>>)', 'main'], { okExitCodes: [0, 1] });
    expect(grep.stdout.toString()).toBe('');
    expect((await vault.run(['status', '--porcelain'])).stdout.toString()).toBe('');
    const state = await vault.run(['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { okExitCodes: [0, 1] });
    expect(state.exitCode).toBe(1);
  }

  it('lets the pushed side win an edit made on both sides, keeps the loser in history, and settles', async () => {
    const { space, page, client, vault } = await syncedSpace();
    await t.pages.updateContent(space.id, page.id, 'wiki side\n', 'user');
    await client.write('Shared.md', `---\nid: ${page.id}\n---\nclient side\n`);
    await client.commitAll('client edit');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.pull.conflicts).toBe(1);
    expect(status.push.updated).toBe(1);
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe('client side\n');
    await assertClean(vault);

    // The wiki's version is the merge's second parent, and it is recorded with the base and git's side.
    const loser = await vault.run(['show', 'main^2:Shared.md']);
    expect(loser.stdout.toString()).toBe(`---\nid: ${page.id}\n---\nwiki side\n`);
    expect(await t.conflicts.list(space.id)).toEqual([
      expect.objectContaining({
        pageId: page.id,
        path: 'Shared.md',
        base: `---\nid: ${page.id}\n---\nbase\n`,
        wiki: `---\nid: ${page.id}\n---\nwiki side\n`,
        git: `---\nid: ${page.id}\n---\nclient side\n`,
        dismissedAt: null,
      }),
    ]);

    await client.pull();
    expect(await client.read('Shared.md')).toBe(`---\nid: ${page.id}\n---\nclient side\n`);
    const again = await t.sync.runCycle(space.id);
    expect(again.commits).toBe(0);
    expect(again.pull).toEqual({ written: 0, deleted: 0, conflicts: 0 });
  });

  it('keeps the hunks only one side changed; in a hunk both changed, main wins and the wiki side is recorded', async () => {
    const paragraphs = (p1: string, p3: string, p5: string) => `${p1}\n\ntwo\n\n${p3}\n\nfour\n\n${p5}\n`;
    const space = await t.pages.createSpace({ name: 'Hunks' });
    const page = await t.pages.createPage(
      space.id,
      { title: 'Long', content: paragraphs('one', 'three', 'five') },
      'user',
    );
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const vault = t.sync.vault(space.id);

    await t.pages.updateContent(space.id, page.id, paragraphs('one by the wiki', 'three by the wiki', 'five'), 'user');
    await client.write('Long.md', `---\nid: ${page.id}\n---\n${paragraphs('one by git', 'three', 'five by git')}`);
    await client.commitAll('client edit');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.pull.conflicts).toBe(1);
    const merged = paragraphs('one by git', 'three by the wiki', 'five by git');
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe(merged);
    expect((await vault.run(['show', 'main:Long.md'])).stdout.toString()).toBe(`---\nid: ${page.id}\n---\n${merged}`);
    await assertClean(vault);
    const [record] = await t.conflicts.list(space.id);
    expect(record).toMatchObject({ pageId: page.id, path: 'Long.md' });
    expect(record.wiki).toContain('one by the wiki');

    // Dismissed records leave the open list but stay on record.
    await t.conflicts.dismiss(space.id, record.id);
    expect(await t.conflicts.list(space.id)).toEqual([]);
    expect((await t.conflicts.list(space.id, { includeDismissed: true }))[0].dismissedAt).not.toBeNull();
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
  });

  it('lets a pushed deletion win over a wiki edit', async () => {
    const { space, page, client, vault } = await syncedSpace();
    await t.pages.updateContent(space.id, page.id, 'edited in the wiki\n', 'user');
    await client.remove('Shared.md');
    await client.commitAll('client delete');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.pull.conflicts).toBe(1);
    expect(status.push.deleted).toBe(1);
    expect((await t.pages.getPage(space.id, page.id))!.deletedAt).not.toBeNull();
    expect((await vault.run(['ls-tree', '--name-only', 'main'])).stdout.toString()).toBe('');
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
    await assertClean(vault);
  });

  it('lets a pushed edit win over a wiki deletion, restoring the page', async () => {
    const { space, page } = await syncedSpace();
    // A second page keeps the listing non-empty, so the wiki deletion reaches git (see the empty-tree guard).
    await t.pages.createPage(space.id, { title: 'Keep', content: 'keep\n' }, 'user');
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone2-${space.id}`));
    const vault = t.sync.vault(space.id);
    await t.pages.softDelete(space.id, page.id, 'user');
    await client.write('Shared.md', `---\nid: ${page.id}\n---\nstill needed\n`);
    await client.commitAll('client edit');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.pull.conflicts).toBe(1);
    const restored = (await t.pages.getPage(space.id, page.id))!;
    expect(restored.deletedAt).toBeNull();
    expect(restored.content).toBe('still needed\n');
    await assertClean(vault);
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
  });

  it('merges edits of different pages on both sides without conflict', async () => {
    const { space, page, client } = await syncedSpace();
    const other = await t.pages.createPage(space.id, { title: 'Other', content: 'one\n' }, 'user');
    await t.sync.runCycle(space.id);
    await client.pull();
    await t.pages.updateContent(space.id, other.id, 'two\n', 'user');
    await client.write('Shared.md', `---\nid: ${page.id}\n---\nclient\n`);
    await client.commitAll('client edit');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.pull.conflicts).toBe(0);
    expect((await t.pages.getPage(space.id, page.id))!.content).toBe('client\n');
    expect((await t.pages.getPage(space.id, other.id))!.content).toBe('two\n');
    await client.pull();
    expect(await client.read('Other.md')).toBe(`---\nid: ${other.id}\n---\ntwo\n`);
  });
});
