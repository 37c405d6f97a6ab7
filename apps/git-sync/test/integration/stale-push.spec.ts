import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitClient } from './support/git-client';
import { describeEachBackend, useTestEngine } from './support/test-engine';

/**
 * A push prepared against one tip of main that arrives after a cycle moved
 * main (smart HTTP advertises refs and receives the pack in two requests, so
 * a cycle can run in between) must be refused without touching the vault's
 * index or working tree.
 */
describeEachBackend('a push based on a stale main, on %s', (backendName) => {
  const e = useTestEngine(backendName);

  it('is declined before the working tree is touched, and goes through after a pull', async () => {
    const space = await e.pages.createSpace({ name: 'Race' });
    await e.pages.createPage(space.id, { title: 'Page', content: 'one\n' }, 'user');
    await e.sync.runCycle(space.id);
    const vault = e.sync.vault(space.id);
    const client = await GitClient.clone(vault.path, join(e.tmp, 'clone'));
    await client.write('Pushed.md', 'from the client\n');
    await client.commitAll('based on a tip that is about to move');

    // git runs pre-push after reading the server's refs and before sending the pack: the moment a
    // cycle on another replica can move main under the push.
    const hook = join(client.dir, '.git', 'hooks', 'pre-push');
    await writeFile(
      hook,
      `#!/bin/sh\ngit -C '${vault.path}' -c user.name=cycle -c user.email=cycle@example.test commit -q --allow-empty -m 'a cycle moved main'\n`,
    );
    await chmod(hook, 0o755);

    const refused = await client.run(['push', 'origin', 'HEAD:main']).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/moved while this push was on its way/);
    const worktree = await vault.run(['status', '--porcelain']);
    expect(worktree.stdout.toString()).toBe('');
    expect((await vault.run(['diff-index', '--quiet', 'HEAD', '--'], { okExitCodes: [0, 1] })).exitCode).toBe(0);

    await writeFile(hook, '#!/bin/sh\nexit 0\n');
    await client.run(['pull', '-q', '--rebase', 'origin', 'main']);
    await client.push();
    await e.sync.runCycle(space.id);
    expect((await e.pages.listTree(space.id)).map((p) => p.title)).toEqual(expect.arrayContaining(['Page', 'Pushed']));
  });
});
