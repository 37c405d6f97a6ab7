import { spawn } from 'node:child_process';
import { GitAbortedError } from './git-aborted.error';
import { GitCommandError } from './git-command.error';
import { GitNotFoundError } from './git-not-found.error';
import { GitTimeoutError } from './git-timeout.error';

export interface GitRunnerOptions {
  /** Kills any single git invocation that runs longer than this. */
  timeoutMs?: number;
  /** The git executable; resolved on PATH. */
  binary?: string;
  /** Where HOME and XDG_CONFIG_HOME point, so no user configuration is ever read. */
  home?: string;
}

export interface GitRunOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-tree` means "conflicts"). */
  okExitCodes?: readonly number[];
  /**
   * Kills the command with SIGKILL the moment it aborts, and rejects with GitAbortedError. A cycle
   * passes its lock's signal, so a lost lock stops the git command that is writing, not only the
   * next step.
   */
  signal?: AbortSignal;
}

export interface GitResult {
  stdout: Buffer;
  exitCode: number;
}

export const GIT_IDENTITY = { name: 'git-sync', email: 'git-sync@localhost' } as const;

/**
 * Runs the git CLI in a sealed environment: no system or global config, a fixed identity and
 * locale, and none of the caller's GIT_* variables (a hook environment would otherwise redirect
 * every command to another repository).
 */
export class GitRunner {
  readonly timeoutMs: number;
  readonly binary: string;
  private readonly baseEnv: NodeJS.ProcessEnv;

  constructor(options: GitRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.binary = options.binary ?? 'git';
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('GIT_')) env[key] = value;
    }
    const home = options.home ?? '/nonexistent';
    Object.assign(env, {
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: GIT_IDENTITY.name,
      GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
      GIT_COMMITTER_NAME: GIT_IDENTITY.name,
      GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
      LC_ALL: 'C',
      LANG: 'C',
    });
    this.baseEnv = env;
  }

  /** Environment for other git processes (e.g. `git http-backend`) that must see the same sealed config. */
  environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...this.baseEnv, ...extra };
  }

  /** Fails with GitNotFoundError when the executable is missing, before any repository is touched. */
  async version(): Promise<string> {
    const { stdout } = await this.run(['--version']);
    return stdout.toString('utf8').trim();
  }

  async run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    const okExitCodes = options.okExitCodes ?? [0];
    const { signal } = options;
    if (signal?.aborted) throw new GitAbortedError(args, signal.reason);
    return new Promise<GitResult>((resolve, reject) => {
      const child = spawn(this.binary, args, {
        cwd: options.cwd,
        env: options.env ? { ...this.baseEnv, ...options.env } : this.baseEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      // Settles at once: a grandchild (a hook, an alias) may keep the pipes open after git is gone.
      const onAbort = () => {
        child.kill('SIGKILL');
        finish(() => reject(new GitAbortedError(args, signal?.reason)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        finish(() => reject(error.code === 'ENOENT' ? new GitNotFoundError(this.binary, error) : error));
      });
      child.on('close', (code) => {
        finish(() => {
          if (timedOut) return reject(new GitTimeoutError(args, this.timeoutMs));
          if (signal?.aborted) return reject(new GitAbortedError(args, signal.reason));
          const exitCode = code ?? -1;
          if (!okExitCodes.includes(exitCode)) {
            return reject(new GitCommandError(args, code, Buffer.concat(err).toString('utf8')));
          }
          resolve({ stdout: Buffer.concat(out), exitCode });
        });
      });
      // git may exit before reading all of its input (e.g. on a bad argument); that is reported by the exit code.
      child.stdin.on('error', () => undefined);
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
  }
}
