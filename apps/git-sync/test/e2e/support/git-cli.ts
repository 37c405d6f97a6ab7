import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, gitOk, type GitResult } from '../../support/git-cli';

/** The shared test git client, bound to one HOME. */
export class GitCli {
  constructor(private readonly home: string) {}

  run(args: string[], cwd?: string): Promise<GitResult> {
    return git(this.home, args, { cwd });
  }

  ok(args: string[], cwd?: string): Promise<string> {
    return gitOk(this.home, args, { cwd });
  }
}

export async function writeFileIn(dir: string, path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

export function cloneUrl(baseUrl: string, spaceId: string, username: string, token: string): string {
  const url = new URL(`/git/${spaceId}.git`, baseUrl);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(token);
  return url.href;
}
