import { spawn } from 'node:child_process';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface GitCallOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A git call still running after this is killed and reported as failed. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The real git client as a person would run it, isolated from the machine's
 * configuration, never prompting, in the C locale, and bounded in time.
 * Asynchronous on purpose: a server under test in the same process must keep
 * serving while git waits on it. Failures are answers here (a refused push
 * is what many tests are about), so stderr is always returned.
 */
export function git(home: string, args: string[], options: GitCallOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        LC_ALL: 'C',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Test Author',
        GIT_AUTHOR_EMAIL: 'author@example.test',
        GIT_COMMITTER_NAME: 'Test Author',
        GIT_COMMITTER_EMAIL: 'author@example.test',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Throws with git's output when it fails, for set-up steps. */
export async function gitOk(home: string, args: string[], options: GitCallOptions = {}): Promise<string> {
  const out = await git(home, args, options);
  if (out.code !== 0) throw new Error(`git ${args.join(' ')} failed (${out.code}):\n${out.stderr}`);
  return out.stdout.trim();
}
