import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateAccessToken, hashAccessToken } from '../../../src/accounts/access-token';

const MAIN = join(__dirname, '../../../dist/main.js');

/**
 * Every server child not yet exited. A test that times out while a server is
 * starting never receives the handle to stop it, and a live child would keep
 * jest from exiting, so each test file kills what is left once it is done.
 */
const liveServers = new Set<ChildProcess>();
afterAll(() => {
  for (const proc of liveServers) proc.kill('SIGKILL');
});

export interface ServerProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** Every log line so far, parsed when it is pino JSON. */
  readonly logs: Record<string, unknown>[];
  /** Plain (non-JSON) stdout lines, such as the first-run banner. */
  readonly stdout: string[];
  /** Every stderr line so far. */
  readonly stderr: string[];
  /** An admin's token (the server's `GIT_SYNC_ADMIN_TOKEN_SHA256`), which `api` sends unless told otherwise. */
  readonly adminToken: string;
  /**
   * Calls the API with `Authorization: Bearer <adminToken>`, or with
   * `options.token` (`null`: none). Bodies are sent as JSON unless
   * `options.headers` sets another content type and `body` is a string.
   */
  api<T = unknown>(method: string, path: string, body?: unknown, options?: ApiCallOptions): Promise<ApiCallResult<T>>;
  stop(): Promise<void>;
}

export interface ApiCallOptions {
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiCallResult<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Only what the server needs: no coding-tool or CI variables leak into it. */
function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'LANG', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/**
 * Starts `node apps/git-sync/dist/main.js` (the same entry as `npm start`)
 * on an ephemeral loopback port, and resolves once it logs that it listens.
 */
export async function startServer(env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  // Each server bootstraps an admin with a token of its own; on a shared database they are all valid.
  const adminToken = generateAccessToken();
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      ...baseEnv(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      GIT_SYNC_ADMIN_TOKEN_SHA256: hashAccessToken(adminToken),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: proc.stderr }).on('line', (line) => stderr.push(line));
  liveServers.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      liveServers.delete(proc);
      resolve(code);
    }),
  );

  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in time')), startTimeoutMs);
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let entry: Record<string, unknown> | undefined;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        stdout.push(line);
        return;
      }
      logs.push(entry);
      if (entry.msg === 'git-sync listening' && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr.join('\n')}\n${stdout.join('\n')}`));
    });
  });

  let baseUrl: string;
  try {
    baseUrl = await listening;
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }

  const server: ServerProcess = {
    baseUrl,
    port: Number(new URL(baseUrl).port),
    proc,
    logs,
    stdout,
    stderr,
    adminToken,
    async api<T>(method: string, path: string, body?: unknown, options: ApiCallOptions = {}) {
      const token = options.token === undefined ? adminToken : options.token;
      const raw = typeof body === 'string' && options.headers?.['content-type'] !== undefined;
      const res = await fetch(baseUrl + path, {
        method,
        // A stuck request must fail its test, never hang the suite.
        signal: AbortSignal.timeout(30_000),
        headers: {
          ...(body === undefined || raw ? {} : { 'content-type': 'application/json' }),
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...options.headers,
        },
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, headers: res.headers, body: parsed as T };
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return server;
}
