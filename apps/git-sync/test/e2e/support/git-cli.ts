import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `git` client, isolated from any global or system configuration,
 * never prompting, with a fixed identity, and bounded in time.
 */
export class GitCli {
  constructor(private readonly home: string) {}

  run(args: string[], cwd?: string, timeoutMs = 60_000): Promise<GitResult> {
    return new Promise((resolve) => {
      execFile(
        'git',
        args,
        {
          cwd,
          timeout: timeoutMs,
          maxBuffer: 32 * 1024 * 1024,
          env: {
            PATH: process.env.PATH,
            HOME: this.home,
            LC_ALL: 'C',
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_CONFIG_GLOBAL: '/dev/null',
            GIT_TERMINAL_PROMPT: '0',
            GIT_AUTHOR_NAME: 'Client',
            GIT_AUTHOR_EMAIL: 'client@example.test',
            GIT_COMMITTER_NAME: 'Client',
            GIT_COMMITTER_EMAIL: 'client@example.test',
          },
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
  }

  async ok(args: string[], cwd?: string): Promise<string> {
    const result = await this.run(args, cwd);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
    return result.stdout.trim();
  }
}

export async function writeFileIn(dir: string, path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

export function cloneUrl(baseUrl: string, spaceId: string, username: string, token: string): string {
  const url = new URL(`/git/${spaceId}.git`, baseUrl);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(token);
  return url.href;
}
