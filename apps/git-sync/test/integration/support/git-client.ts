import { mkdir, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GitRunner } from '../../../src/vault/git-runner';

const CLIENT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Client',
  GIT_AUTHOR_EMAIL: 'client@example.test',
  GIT_COMMITTER_NAME: 'Client',
  GIT_COMMITTER_EMAIL: 'client@example.test',
};

/** A person's clone of a vault, driven through the real git CLI over a file URL. */
export class GitClient {
  private readonly git: GitRunner;

  private constructor(
    readonly dir: string,
    home: string,
  ) {
    this.git = new GitRunner({ home, timeoutMs: 30_000 });
  }

  static async clone(vaultPath: string, dir: string): Promise<GitClient> {
    const client = new GitClient(dir, dirname(dir));
    await client.git.run(['clone', '-q', '-b', 'main', pathToFileURL(vaultPath).href, dir]);
    return client;
  }

  run(args: string[]) {
    return this.git.run(['-C', this.dir, ...args], { env: CLIENT_IDENTITY });
  }

  async text(args: string[]): Promise<string> {
    return (await this.run(args)).stdout.toString('utf8').trim();
  }

  async pull(): Promise<void> {
    await this.run(['pull', '-q', '--ff-only', 'origin', 'main']);
  }

  async commitAll(message: string): Promise<void> {
    await this.run(['add', '-A']);
    await this.run(['commit', '-q', '-m', message]);
  }

  async push(): Promise<void> {
    await this.run(['push', '-q', 'origin', 'HEAD:main']);
  }

  async write(path: string, content: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await writeFile(join(this.dir, path), content);
  }

  async read(path: string): Promise<string> {
    return readFile(join(this.dir, path), 'utf8');
  }

  async remove(path: string): Promise<void> {
    await rm(join(this.dir, path), { recursive: true });
  }

  async move(from: string, to: string): Promise<void> {
    await mkdir(dirname(join(this.dir, to)), { recursive: true });
    await rename(join(this.dir, from), join(this.dir, to));
  }

  /** Every file of the working tree except `.git`, path → content. */
  async files(): Promise<Map<string, string>> {
    return readTree(this.dir);
  }
}

export async function readTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.set(relative(root, full).split('\\').join('/'), await readFile(full, 'utf8'));
    }
  };
  await walk(root);
  return out;
}
