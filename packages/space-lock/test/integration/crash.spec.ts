import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { SKIP_LOCK_HELD, SpaceLock } from '../../src';
import { createClient, deleteKeys, getRedisUrl, uniquePrefix } from '../helpers/redis-server';
import { recordingLogger, sleep } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const PACKAGE_DIR = join(__dirname, '..', '..');
const DIST_ENTRY = join(PACKAGE_DIR, 'dist', 'index.js');
const CHILD_TTL_MS = 1_500;

// The holder runs the built package, as another replica would: it takes the
// lock, says so on stdout, and then hangs inside fn until it is killed.
const HOLDER_SCRIPT = `
const { SpaceLock } = require(process.env.SPACE_LOCK_ENTRY);
const Redis = require('ioredis');
const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
const lock = new SpaceLock({ redis, keyPrefix: process.env.KEY_PREFIX, ttlMs: Number(process.env.TTL_MS) });
lock.withSpaceLock('space-1', () => {
  process.stdout.write('holding ' + lock.instanceId + '\\n');
  return new Promise(() => setInterval(() => {}, 60_000));
}).then((out) => {
  process.stdout.write('not acquired ' + JSON.stringify(out) + '\\n');
  process.exit(2);
}, (err) => {
  process.stdout.write('failed ' + err.message + '\\n');
  process.exit(3);
});
`;

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => finish(new Error(`child printed no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(out)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(pattern);
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null) =>
      finish(new Error(`child exited (${code}) before ${pattern}; got ${JSON.stringify(out)}`));
    function finish(err?: Error, match?: RegExpMatchArray) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(match!);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

describe('a replica that dies while holding a lock', () => {
  let url: string;
  let admin: Redis;
  let prefix: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // `npm test` builds first; a bare jest run builds here so the child has something to run.
    if (!existsSync(DIST_ENTRY)) {
      const build = spawnSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore', timeout: 60_000 });
      if (build.status !== 0)
        throw new Error(`could not build space-lock for the child replica (run npm run build -w packages/space-lock)`);
    }
    url = await getRedisUrl();
    admin = createClient(url);
    prefix = uniquePrefix('sigkill-holder');
  }, 70_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await deleteKeys(admin, prefix);
  });

  it('blocks the other replicas until its TTL runs out, then one of them acquires', async () => {
    child = spawn(process.execPath, ['-e', HOLDER_SCRIPT], {
      cwd: PACKAGE_DIR,
      env: {
        ...process.env,
        SPACE_LOCK_ENTRY: DIST_ENTRY,
        REDIS_URL: url,
        KEY_PREFIX: prefix,
        TTL_MS: String(CHILD_TTL_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [, childInstanceId] = await waitForLine(child, /holding (\S+)\n/, 10_000);
    const key = `${prefix}space-1`;
    expect(await admin.get(key)).toBe(childInstanceId);

    // Let a couple of heartbeats pass so the kill lands mid-lease, not right after the SET.
    await sleep(CHILD_TTL_MS / 2);
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    const pttlAtKill = await admin.pttl(key);
    expect(pttlAtKill).toBeGreaterThan(0);
    expect(pttlAtKill).toBeLessThanOrEqual(CHILD_TTL_MS);

    const replicas = [0, 1].map(
      () => new SpaceLock({ redis: createClient(url), keyPrefix: prefix, ttlMs: 5_000, logger: recordingLogger() }),
    );
    const fn = jest.fn(() => Promise.resolve('mine'));
    let lockHeldAnswers = 0;
    let acquiredAt: number | undefined;
    let winner: SpaceLock | undefined;
    const deadline = killedAt + CHILD_TTL_MS + 5_000;
    for (let i = 0; i < 1_000 && acquiredAt === undefined && Date.now() < deadline; i++) {
      const candidate = replicas[i % replicas.length];
      const out = await candidate.withSpaceLock('space-1', fn);
      if (out === SKIP_LOCK_HELD) {
        lockHeldAnswers++;
        await sleep(50);
      } else {
        expect(out).toBe('mine');
        acquiredAt = Date.now();
        winner = candidate;
      }
    }

    expect(acquiredAt).toBeDefined();
    expect(fn).toHaveBeenCalledTimes(1);
    // Nobody got in while the dead holder's lease was still running.
    expect(lockHeldAnswers).toBeGreaterThan(0);
    expect(acquiredAt! - killedAt).toBeGreaterThanOrEqual(pttlAtKill - 50);
    expect(winner).toBeDefined();
    expect(await admin.exists(key)).toBe(0);
  });
});
