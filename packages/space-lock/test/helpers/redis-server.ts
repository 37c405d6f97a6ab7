/**
 * The real-Redis harness for integration tests.
 *
 * - `getRedisUrl()`: `REDIS_URL` if set, else 127.0.0.1:6379 if it answers,
 *   else a `redis-server` from PATH started on a free loopback port. Clients
 *   of that shared server refuse every `DESTRUCTIVE_COMMANDS` entry.
 * - `startRedisServer()`: a disposable server of the test's own, for fault
 *   injection (kill/restart, CLIENT PAUSE, DEBUG SLEEP, SCRIPT FLUSH) that
 *   must not disturb anyone else sharing the default Redis.
 * - `uniquePrefix()` / `deleteKeys()`: each test owns a key prefix, and
 *   cleanup removes only keys under it; nothing is ever flushed.
 *
 * Every server and connection made here is stopped in an `afterAll` hook that
 * this module registers itself, so a spec cannot forget it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import Redis, { type RedisOptions } from 'ioredis';
import { waitFor } from './wait-for';

export const INSTALL_HINT =
  'No Redis for integration tests: set REDIS_URL, run one on 127.0.0.1:6379, or install redis-server (e.g. `apt-get install -y redis-server`)';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);
const DEFAULT_URL = 'redis://127.0.0.1:6379';
const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 3_000;

export interface DisposableRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL); a no-op when already stopped. */
  stop(): Promise<void>;
  /** Starts the server again on the same port, with an empty dataset. */
  restart(): Promise<void>;
}

const servers = new Set<ChildProcess>();
const clients = new Set<Redis>();
let sharedUrl: Promise<string> | undefined;
let sharedUrlResolved: string | undefined;

/**
 * Commands that change a whole server, and so everyone else's tests on it.
 * Each is `[command, subcommand?]`; a test that needs one starts a server of
 * its own with `startRedisServer()`.
 */
export const DESTRUCTIVE_COMMANDS: ReadonlyArray<readonly [string, string?]> = [
  ['flushall'],
  ['flushdb'],
  ['shutdown'],
  ['debug'],
  ['failover'],
  ['replicaof'],
  ['slaveof'],
  ['script', 'flush'],
  ['script', 'kill'],
  ['function', 'flush'],
  ['client', 'pause'],
  ['client', 'kill'],
  ['config', 'set'],
  ['config', 'resetstat'],
  ['cluster', 'failover'],
  ['cluster', 'reset'],
];

/** The destructive command `name args…` amounts to, if any, as `NAME SUB`. */
export function destructiveCommand(name: string, args: readonly unknown[]): string | undefined {
  const command = name.toLowerCase();
  const sub = typeof args[0] === 'string' || Buffer.isBuffer(args[0]) ? String(args[0]).toLowerCase() : undefined;
  const hit = DESTRUCTIVE_COMMANDS.find(([c, s]) => c === command && (s === undefined || s === sub));
  return hit === undefined ? undefined : hit.join(' ').toUpperCase();
}

// The shared server is whatever getRedisUrl() resolved to, and the
// well-known default and REDIS_URL even before that resolved.
function isSharedUrl(url: string): boolean {
  const sameServer = (a: string, b: string) => {
    try {
      const x = new URL(a);
      const y = new URL(b);
      const host = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);
      return host(x.hostname) === host(y.hostname) && (x.port || '6379') === (y.port || '6379');
    } catch {
      return false;
    }
  };
  return [sharedUrlResolved, process.env.REDIS_URL, DEFAULT_URL].some(
    (shared) => shared !== undefined && shared !== '' && sameServer(url, shared),
  );
}

/** Thrown (as a rejected command) when a test aims a destructive command at the shared Redis. */
export class SharedRedisGuardError extends Error {
  constructor(readonly command: string) {
    super(
      `${command} was sent to the shared Redis, where other suites run concurrently; start a server of the test's own with startRedisServer()`,
    );
    this.name = new.target.name;
  }
}

// Every command of an ioredis client passes through sendCommand, so this
// catches .flushall(), .script('FLUSH'), .call('CLIENT', 'PAUSE', …) alike.
function guardSharedServer(client: Redis): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const refused = destructiveCommand(command.name, command.args);
    if (refused === undefined) return send(command, stream);
    command.reject(new SharedRedisGuardError(refused));
    return command.promise;
  };
}

// The space-lock specs take waitFor from this harness; one copy serves every suite.
export { waitFor };

// Tests only ever talk to this machine: a URL pointing anywhere else is refused
// rather than risk writing lock keys into someone's shared Redis.
function assertLoopback(url: string): void {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new Error(`REDIS_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(
      `REDIS_URL must point at a loopback address (127.0.0.1, ::1 or localhost) for tests, got ${JSON.stringify(host)}`,
    );
  }
}

/**
 * PING over a bare socket: unlike an ioredis client this leaves no
 * reconnecting connection behind when nothing answers.
 */
export function pingTcp(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // `-NOAUTH` still proves a Redis is listening; the client will authenticate.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('error', () => done(false));
  });
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

let binaryChecked: boolean | undefined;
function hasRedisServerBinary(): boolean {
  binaryChecked ??= spawnSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5_000 }).error === undefined;
  return binaryChecked;
}

/** How to start one server beyond the defaults: a config file (a sentinel needs one it can rewrite), more arguments. */
export interface RedisServerOptions {
  configFile?: string;
  args?: string[];
}

async function spawnServer(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  if (!hasRedisServerBinary()) throw new Error(INSTALL_HINT);
  const child = spawn(
    'redis-server',
    [
      ...(options.configFile === undefined ? [] : [options.configFile]),
      // `local` lets only loopback clients use DEBUG (needed for DEBUG SLEEP on Redis 7+).
      ...[
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--enable-debug-command',
        'local',
      ],
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  servers.add(child);
  child.once('exit', () => servers.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor(
      `redis-server on 127.0.0.1:${port}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `redis-server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().split('\n').pop() ?? ''}`,
          );
        }
        return pingTcp('127.0.0.1', port, 200);
      },
      START_TIMEOUT_MS,
      25,
    );
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A `redis-server` of the caller's own on a free loopback port; stopped in afterAll at the latest. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<DisposableRedis> {
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined = await spawnServer(port, options);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child === undefined) return;
      const stopping = child;
      child = undefined;
      await stopProcess(stopping);
    },
    async restart() {
      if (child !== undefined) await stopProcess(child);
      child = await spawnServer(port, options);
    },
  };
}

async function resolveSharedUrl(): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    assertLoopback(fromEnv);
    return fromEnv;
  }
  if (await pingTcp('127.0.0.1', 6379)) return DEFAULT_URL;
  if (!hasRedisServerBinary()) throw new Error(INSTALL_HINT);
  return (await startRedisServer()).url;
}

/** The Redis every test shares, each under its own key prefix. Resolved once per test file. */
export function getRedisUrl(): Promise<string> {
  sharedUrl ??= resolveSharedUrl().then((url) => (sharedUrlResolved = url));
  return sharedUrl;
}

/**
 * An ioredis client closed in afterAll. Fails fast instead of queueing while
 * disconnected, so a broken Redis shows up as an error rather than a hang.
 */
export function createClient(url: string, options: RedisOptions = {}): Redis {
  // A short disconnectTimeout: quitting a client whose server is already gone
  // otherwise leaves a 2 s timer behind that keeps Jest from exiting.
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, disconnectTimeout: 200, ...options });
  if (isSharedUrl(url)) guardSharedServer(client);
  // Disconnects during fault injection are expected; ioredis would otherwise report them as unhandled.
  client.on('error', () => undefined);
  clients.add(client);
  return client;
}

/** Closes one client now; safe to call twice. */
export async function closeClient(client: Redis): Promise<void> {
  clients.delete(client);
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** A key prefix no other test (or run) shares. */
export function uniquePrefix(testName: string): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `space-lock-test:${slug}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes the keys under `prefix`, and the fence counters of those keys, and nothing else. Returns how many were deleted. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error('deleteKeys needs a non-empty prefix');
  const escaped = prefix.replace(/[*?[\]\\]/g, '\\$&');
  let deleted = 0;
  // A fencing holder's counter is `{<key>}:fence`: the brace comes before the prefix.
  for (const pattern of [`${escaped}*`, `{${escaped}*`]) {
    let cursor = '0';
    // SCAN visits every key at most a bounded number of times; the cap only guards against a misbehaving server.
    for (let round = 0; round < 100_000; round++) {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) deleted += await client.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  }
  return deleted;
}

const beforeStop = new Set<() => void>();

/** Runs `fn` in afterAll before any server stops, to close clients made elsewhere while their servers still answer. */
export function beforeServersStop(fn: () => void): void {
  beforeStop.add(fn);
}

export async function stopAll(): Promise<void> {
  for (const fn of beforeStop) fn();
  beforeStop.clear();
  await Promise.all([...clients].map((client) => closeClient(client)));
  await Promise.all([...servers].map((child) => stopProcess(child)));
  sharedUrl = undefined;
  sharedUrlResolved = undefined;
}

if (typeof afterAll === 'function') afterAll(stopAll, 15_000);
// A crashed or interrupted worker must not leave servers running either.
process.once('exit', () => {
  for (const child of servers) child.kill('SIGKILL');
});
