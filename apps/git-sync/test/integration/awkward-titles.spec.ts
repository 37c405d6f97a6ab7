import { join } from 'node:path';
import { collisionKey } from '../../src/vault/filename-codec';
import { GitClient } from './support/git-client';
import { describeEachBackend, useTestEngine } from './support/test-engine';

const TITLES = [
  'a/b',
  'back\\slash',
  '..',
  '.hidden',
  '  spaced  ',
  'trailing dot.',
  'naïve 日本語 🚀',
  'x'.repeat(300),
  'x'.repeat(299) + 'y',
  '',
  '',
  'Case',
  'case',
  'CASE',
  'Dup',
  'Dup',
  'CON',
  'nul.txt',
  'with:colon?*<>|"',
  '%41 literal',
  '100%',
  'notes',
  'notes.md',
  'tab\there',
  'e\u0301', // "é" decomposed
  '\u00e9', // "é" precomposed
];

describeEachBackend('awkward titles on %s', (backend) => {
  const t = useTestEngine(backend);

  it('round-trip every title with no collision and no loss', async () => {
    const space = await t.pages.createSpace({ name: 'Awkward' });
    const ids: string[] = [];
    for (const [i, title] of TITLES.entries()) {
      const page = await t.pages.createPage(space.id, { title, content: `page ${i}\n` }, 'user');
      ids.push(page.id);
      // A child under every awkward parent exercises directory names too.
      if (i % 3 === 0)
        await t.pages.createPage(space.id, { title, parentPageId: page.id, content: `child ${i}\n` }, 'user');
    }
    const before = await t.pages.listTree(space.id);
    await t.sync.runCycle(space.id);

    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const files = await client.files();
    expect(files.size).toBe(before.length);

    // Every name is portable: no reserved characters, no trailing dot or space, no hidden file,
    // within length limits, and unique among siblings however the file system compares names.
    const siblings = new Map<string, Set<string>>();
    for (const path of files.keys()) {
      for (const segment of path.split('/')) {
        // eslint-disable-next-line no-control-regex -- control characters are what a portable name must not hold
        expect(segment).not.toMatch(/[<>:"\\|?*\u0000-\u001f]/);
        expect(segment).not.toMatch(/[. ]$/);
        expect(segment.startsWith('.')).toBe(false);
        expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
      }
      const dir = path.slice(0, path.lastIndexOf('/') + 1);
      const names = siblings.get(dir) ?? new Set<string>();
      const base = path.slice(dir.length);
      for (const name of [base, base.slice(0, -3)]) {
        expect(names.has(collisionKey(name))).toBe(false);
        names.add(collisionKey(name));
      }
      siblings.set(dir, names);
    }

    // Edit every file from the client; titles and tree must survive the push unchanged.
    for (const [path, content] of files) await client.write(path, `${content}edited\n`);
    await client.commitAll('edit all');
    await client.push();
    const status = await t.sync.runCycle(space.id);
    expect(status.push).toMatchObject({
      updated: before.length,
      created: 0,
      deleted: 0,
      renamed: 0,
      moved: 0,
      failures: 0,
    });

    const after = await t.pages.listTree(space.id);
    const shape = (nodes: typeof before) =>
      nodes.map((n) => ({ id: n.id, title: n.title, parent: n.parentPageId })).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(shape(after)).toEqual(shape(before));
    for (const n of after) expect((await t.pages.getPage(space.id, n.id))!.content).toMatch(/edited\n$/);
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
  });

  it('take titles from hand-named files, including escapes and unicode', async () => {
    const space = await t.pages.createSpace({ name: 'Hand named' });
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    await client.write('Straße 🚀.md', 'unicode\n');
    await client.write('a%3Ab.md', 'escaped colon\n');
    await client.write('50% off.md', 'literal percent\n');
    await client.commitAll('hand named');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.push.created).toBe(3);
    const titles = (await t.pages.listTree(space.id)).map((n) => n.title).sort();
    expect(titles).toEqual(['50% off', 'Straße 🚀', 'a:b']);
    await client.pull();
    expect([...(await client.files()).keys()].sort()).toEqual(['50% off.md', 'Straße 🚀.md', 'a%3Ab.md']);
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
  });
});
