import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, type CycleStep, type Engine, type EngineOptions } from '../../src/engine';
import { GitClient } from './support/git-client';
import { describeEachBackend, makeBackend, type TestBackend } from './support/test-engine';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

function runChild(args: object): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'support', 'crash-child.js'), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const KILL_POINTS: CycleStep[] = ['pulled', 'merged', 'pushed', 'ids-written', 'advanced'];

describeEachBackend('crash recovery on %s', (backendName) => {
  let tmp: string;
  let backend: TestBackend;
  let options: EngineOptions;
  let engine: Engine | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'git-sync-crash-'));
    backend = makeBackend(backendName);
    options = { dataDir: join(tmp, 'data'), ...backend.databaseOptions };
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  afterAll(async () => {
    await backend.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  // PGlite allows one process per data directory, so the parent closes it while the child runs.
  async function open(): Promise<Engine> {
    engine = await createEngine(options);
    return engine;
  }
  async function close(): Promise<void> {
    await engine?.close();
    engine = undefined;
  }

  it.each(KILL_POINTS)('loses nothing when the cycle is killed after %s', async (killAt) => {
    let e = await open();
    const space = await e.pages.createSpace({ name: `Crash ${killAt}` });
    const edited = await e.pages.createPage(space.id, { title: 'Edited', content: 'v1\n' }, 'user');
    const wiki = await e.pages.createPage(space.id, { title: 'Wiki', content: 'w1\n' }, 'user');
    const gone = await e.pages.createPage(space.id, { title: 'Gone', content: 'bye\n' }, 'user');
    await e.sync.runCycle(space.id);
    const client = await GitClient.clone(e.vaultPath(space.id), join(tmp, `clone-${space.id}`));
    await client.write('Edited.md', `---\nid: ${edited.id}\n---\nv2 from git\n`);
    await client.write('Added.md', 'added in git\n');
    await client.remove('Gone.md');
    await client.commitAll('client work');
    await client.push();
    await e.pages.updateContent(space.id, wiki.id, 'w2 from wiki\n', 'user');
    await close();

    const child = await runChild({ options, spaceId: space.id, killAt });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');

    e = await open();
    const status = await e.sync.runCycle(space.id);
    expect(status.push.failures).toBe(0);

    const tree = await e.pages.listTree(space.id);
    expect(tree.map((n) => n.title).sort()).toEqual(['Added', 'Edited', 'Wiki']);
    const added = tree.find((n) => n.title === 'Added')!;
    expect((await e.pages.getPage(space.id, edited.id))!.content).toBe('v2 from git\n');
    expect((await e.pages.getPage(space.id, wiki.id))!.content).toBe('w2 from wiki\n');
    expect((await e.pages.getPage(space.id, added.id))!.content).toBe('added in git\n');
    expect((await e.pages.getPage(space.id, gone.id))!.deletedAt).not.toBeNull();

    await client.pull();
    const files = await client.files();
    expect([...files.keys()].sort()).toEqual(['Added.md', 'Edited.md', 'Wiki.md']);
    expect(files.get('Added.md')).toBe(`---\nid: ${added.id}\n---\nadded in git\n`);
    expect(files.get('Wiki.md')).toBe(`---\nid: ${wiki.id}\n---\nw2 from wiki\n`);

    // Recovery may merge a new page's file with and without its id; that loses no wiki text.
    expect(await e.conflicts.list(space.id)).toEqual([]);
    const vault = e.sync.vault(space.id);
    expect((await vault.run(['status', '--porcelain'])).stdout.toString()).toBe('');
    expect((await e.sync.runCycle(space.id)).commits).toBe(0);
  });

  it('clears stale lock files and a merge left in progress before anything else', async () => {
    const e = await open();
    const space = await e.pages.createSpace({ name: 'Stale' });
    const page = await e.pages.createPage(space.id, { title: 'Page', content: 'one\n' }, 'user');
    await e.sync.runCycle(space.id);
    const vault = e.sync.vault(space.id);

    // A conflicting merge left half done in the working tree, plus locks of a dead git process.
    await vault.run(['checkout', '-q', '-b', 'side']);
    await writeFile(join(vault.path, 'Page.md'), `---\nid: ${page.id}\n---\nside\n`);
    await vault.run(['commit', '-q', '-am', 'side']);
    await vault.run(['checkout', '-q', 'main']);
    await writeFile(join(vault.path, 'Page.md'), `---\nid: ${page.id}\n---\nmain\n`);
    await vault.run(['commit', '-q', '-am', 'main']);
    await vault.run(['merge', 'side'], { okExitCodes: [1] });
    await writeFile(join(vault.gitDir, 'index.lock'), '');
    await writeFile(join(vault.gitDir, 'refs', 'heads', 'main.lock'), '');

    const status = await e.sync.runCycle(space.id);
    expect(status.push.updated).toBe(1);
    expect((await e.pages.getPage(space.id, page.id))!.content).toBe('main\n');
    expect((await vault.run(['status', '--porcelain'])).stdout.toString()).toBe('');
    const merge = await vault.run(['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { okExitCodes: [0, 1] });
    expect(merge.exitCode).toBe(1);
    expect((await vault.run(['grep', '-c', '<<<<<<<', 'main'], { okExitCodes: [0, 1] })).exitCode).toBe(1);
  });

  it('brings an index or working tree left out of step with main (a push-to-checkout cut short) back to main', async () => {
    const e = await open();
    const space = await e.pages.createSpace({ name: 'Cut short' });
    await e.pages.createPage(space.id, { title: 'Page', content: 'one\n' }, 'user');
    await e.sync.runCycle(space.id);
    const vault = e.sync.vault(space.id);
    const client = await GitClient.clone(vault.path, join(tmp, `clone-cut-short-${backendName}`));

    // As if receive-pack died after updating the index but before moving main: the index holds the
    // empty root tree (so every file is a staged deletion) and no cycle marker was left behind.
    const root = (await vault.run(['rev-list', '--max-parents=0', 'main'])).stdout.toString().trim();
    await vault.run(['read-tree', root]);
    await writeFile(join(client.dir, 'Pushed.md'), 'from the client\n');
    await client.commitAll('pushed while the index was out of step');
    // The server refuses pushes in this state: the reason the state must not outlive a cycle.
    await expect(client.push()).rejects.toThrow(/staged changes/);

    const status = await e.sync.runCycle(space.id);
    expect(status.push.failures).toBe(0);
    expect((await vault.run(['status', '--porcelain'])).stdout.toString()).toBe('');
    await client.push();
    await e.sync.runCycle(space.id);
    const titles = (await e.pages.listTree(space.id)).map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Page', 'Pushed']));
  });
});
