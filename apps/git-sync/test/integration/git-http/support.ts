import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real git client, isolated from the machine's configuration and never
 * prompting. Asynchronous on purpose: the server under test runs in this
 * same process and must keep serving while git waits on it.
 */
export function git(home: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: home,
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
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Throws with git's output when it fails, for set-up steps. */
export async function gitOk(home: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const out = await git(home, args, options);
  if (out.code !== 0) throw new Error(`git ${args.join(' ')} failed (${out.code}):\n${out.stderr}`);
  return out.stdout.trim();
}

/** A repository shaped like the engine's vault: non-bare, on `main`, accepting pushes to the checked-out branch. */
export async function createVault(home: string, path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await gitOk(home, ['init', '-q', '-b', 'main', path]);
  await gitOk(home, ['-C', path, 'config', 'receive.denyCurrentBranch', 'updateInstead']);
  await writeFile(join(path, 'README.md'), '# Space\n');
  await gitOk(home, ['-C', path, 'add', 'README.md']);
  await gitOk(home, ['-C', path, 'commit', '-q', '-m', 'Initial page']);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request with the path sent exactly as given: unlike fetch, node:http does
 * not normalise `..` or re-encode, which the path checks need.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: Buffer; keepOpen?: boolean },
): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    // A body left open simulates a client that never finishes its upload.
    if (!options.keepOpen) req.end();
  });
}

/** One pkt-line: four hex digits of length, then the payload. */
export function pktLine(payload: string): string {
  return (payload.length + 4).toString(16).padStart(4, '0') + payload;
}
