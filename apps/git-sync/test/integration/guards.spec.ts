import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  DataDirUnusableError,
  GitNotFoundError,
  InvalidSpaceIdError,
  SpaceNotFoundError,
} from '../../src/engine';
import { GitClient } from './support/git-client';
import { describeEachBackend, useTestEngine } from './support/test-engine';

describeEachBackend('guards on %s', (backend) => {
  const t = useTestEngine(backend, { deleteCap: 2 });

  it('caps deletes per cycle and applies the deferred ones in later cycles, never resurrecting them', async () => {
    const space = await t.pages.createSpace({ name: 'Cap' });
    const pages = [];
    for (let i = 0; i < 5; i++)
      pages.push(await t.pages.createPage(space.id, { title: `P${i}`, content: `${i}\n` }, 'user'));
    const keep = await t.pages.createPage(space.id, { title: 'Keep', content: 'keep\n' }, 'user');
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    for (let i = 0; i < 5; i++) await client.remove(`P${i}.md`);
    await client.commitAll('delete five');
    await client.push();

    const live = async () => (await t.pages.listTree(space.id)).length;
    const first = await t.sync.runCycle(space.id);
    expect(first.push).toMatchObject({ deleted: 2, deferred: 3, failures: 0 });
    expect(await live()).toBe(4);
    await client.pull();
    expect([...(await client.files()).keys()]).toEqual(['Keep.md']);

    const second = await t.sync.runCycle(space.id);
    expect(second.push).toMatchObject({ deleted: 2, deferred: 1 });
    const third = await t.sync.runCycle(space.id);
    expect(third.push).toMatchObject({ deleted: 1, deferred: 0 });
    expect((await t.pages.listTree(space.id)).map((n) => n.id)).toEqual([keep.id]);
    await client.pull();
    expect([...(await client.files()).keys()]).toEqual(['Keep.md']);
    expect((await t.sync.runCycle(space.id)).commits).toBe(0);
  });

  it('does not delete files when the store lists no page at all', async () => {
    const space = await t.pages.createSpace({ name: 'Empty listing' });
    const a = await t.pages.createPage(space.id, { title: 'A', content: 'a\n' }, 'user');
    const b = await t.pages.createPage(space.id, { title: 'B', content: 'b\n' }, 'user');
    await t.sync.runCycle(space.id);
    await t.pages.softDelete(space.id, a.id, 'user');
    await t.pages.softDelete(space.id, b.id, 'user');
    const status = await t.sync.runCycle(space.id);
    expect(status.pull.deleted).toBe(0);
    const tree = await t.sync.vault(space.id).run(['ls-tree', '--name-only', 'main']);
    expect(tree.stdout.toString().split('\n').filter(Boolean).sort()).toEqual(['A.md', 'B.md']);
  });

  it('treats an id from another space, or an unknown id, as a new page', async () => {
    const other = await t.pages.createSpace({ name: 'Other' });
    const foreign = await t.pages.createPage(other.id, { title: 'Secret', content: 'other space\n' }, 'user');
    const space = await t.pages.createSpace({ name: 'Mine' });
    await t.sync.runCycle(space.id);
    const client = await GitClient.clone(t.vaultPath(space.id), join(t.tmp, `clone-${space.id}`));
    const unknown = randomUUID();
    await client.write('Stolen.md', `---\nid: ${foreign.id}\n---\nhijack\n`);
    await client.write('Unknown.md', `---\nid: ${unknown}\n---\nunknown\n`);
    await client.commitAll('foreign ids');
    await client.push();

    const status = await t.sync.runCycle(space.id);
    expect(status.push).toMatchObject({ created: 2, updated: 0, failures: 0 });
    const untouched = (await t.pages.getPage(other.id, foreign.id))!;
    expect(untouched.content).toBe('other space\n');
    expect(untouched.lastUpdatedSource).toBe('user');
    const mine = await t.pages.listTree(space.id);
    expect(mine.map((n) => n.id)).not.toContain(foreign.id);
    expect(mine.map((n) => n.id)).not.toContain(unknown);
    expect((await t.pages.getPage(space.id, mine.find((n) => n.title === 'Stolen')!.id))!.content).toBe('hijack\n');
    await client.pull();
    expect(await client.read('Stolen.md')).not.toContain(foreign.id);
  });

  it('rejects a malformed or unknown space id with a typed error before creating anything', async () => {
    await expect(t.sync.runCycle('not-a-uuid')).rejects.toBeInstanceOf(InvalidSpaceIdError);
    await expect(t.sync.runCycle('../../etc')).rejects.toMatchObject({
      name: 'InvalidSpaceIdError',
      spaceId: '../../etc',
    });
    const missing = randomUUID();
    await expect(t.sync.runCycle(missing)).rejects.toMatchObject({ name: 'SpaceNotFoundError', spaceId: missing });
    await expect(t.sync.runCycle(missing)).rejects.toBeInstanceOf(SpaceNotFoundError);
    expect(existsSync(t.vaultPath(missing))).toBe(false);
  });

  it('stops cleanly on an aborted signal, leaving refs and store untouched', async () => {
    const space = await t.pages.createSpace({ name: 'Abort' });
    await t.pages.createPage(space.id, { title: 'A', content: 'a\n' }, 'user');
    await expect(t.sync.runCycle(space.id, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'CycleAbortedError',
      afterStep: 'start',
    });
    expect(existsSync(t.vaultPath(space.id))).toBe(false);
    const status = await t.sync.runCycle(space.id);
    expect(status.pull.written).toBe(1);
  });
});

describe('bad configuration', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'git-sync-config-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reports git missing from PATH before writing anything', async () => {
    const dataDir = join(tmp, 'no-git');
    await expect(createEngine({ dataDir, gitBinary: 'git-that-does-not-exist' })).rejects.toBeInstanceOf(
      GitNotFoundError,
    );
    await expect(createEngine({ dataDir, gitBinary: 'git-that-does-not-exist' })).rejects.toMatchObject({
      binary: 'git-that-does-not-exist',
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reports a data directory that cannot be used', async () => {
    const file = join(tmp, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(createEngine({ dataDir: file })).rejects.toBeInstanceOf(DataDirUnusableError);
    await expect(createEngine({ dataDir: join(file, 'below') })).rejects.toMatchObject({
      name: 'DataDirUnusableError',
      dataDir: join(file, 'below'),
    });
    expect(await readdir(tmp)).toEqual(['a-file']);
  });
});
