import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SpaceLock, isSpaceLockSkip } from '../../src';
import { createClient, waitFor } from '../helpers/redis-server';
import { recordingLogger, sharedRedisPerTest, sleep } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(90_000);

const DIST_ENTRY = join(__dirname, '..', '..', 'dist', 'index.js');
const WAITERS_PER_PROCESS = 10;
const RETRY = { totalMs: 60_000, baseMs: 10, maxMs: 200 };

/**
 * Waiters of one space in one process, the same for the child (run on the
 * built package, as another replica would) and for this test's own process.
 * Each critical section checks that it runs alone and says who it is.
 */
const WAITERS_SCRIPT = `
const { SpaceLock, isSpaceLockSkip } = require(process.env.SPACE_LOCK_ENTRY);
const Redis = require('ioredis');
const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = process.env.KEY_PREFIX;
const lock = new SpaceLock({
  redis,
  keyPrefix: prefix,
  ttlMs: 5000,
  wakeOnRelease: process.env.WAKE_ON_RELEASE === 'true',
  logger: { log() {}, warn() {}, error() {} },
});
const retry = JSON.parse(process.env.RETRY);
const section = (who) => async () => {
  const active = await redis.incr(prefix + 'active');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await redis.decr(prefix + 'active');
  await redis.rpush(prefix + 'ran', who + ' alone=' + (active === 1));
};
const all = Promise.all(Array.from({ length: Number(process.env.WAITERS) }, (_, i) =>
  lock.withSpaceLock('space-1', section('child-' + i), { acquireRetry: retry }),
));
process.stdout.write('started\\n');
all.then(async (outs) => {
  process.stdout.write(JSON.stringify(outs.map((o) => (isSpaceLockSkip(o) ? o.skipped : 'ran'))) + '\\n');
  await lock.close();
  return redis.quit();
}, (err) => {
  process.stdout.write('failed ' + err.message + '\\n');
  process.exitCode = 3;
  redis.disconnect();
});
`;

// With wakeOnRelease, a release wakes the waiters of its own process directly and those of the other
// through Redis, a round trip later: the other process must still get its turns.
describe.each([false, true])('waiting for a busy space (wakeOnRelease: %s)', (wakeOnRelease) => {
  const redis = sharedRedisPerTest('waiters');

  it(`runs each of ${2 * WAITERS_PER_PROCESS} waiters of one space, from 2 processes, exactly once and one at a time`, async () => {
    const child = spawn(process.execPath, ['-e', WAITERS_SCRIPT], {
      env: {
        ...process.env,
        SPACE_LOCK_ENTRY: DIST_ENTRY,
        REDIS_URL: redis.url,
        KEY_PREFIX: redis.prefix,
        WAITERS: String(WAITERS_PER_PROCESS),
        RETRY: JSON.stringify(RETRY),
        WAKE_ON_RELEASE: String(wakeOnRelease),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let childOut = '';
    child.stdout.on('data', (chunk: Buffer) => (childOut += chunk.toString()));
    const childExit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // Both processes wait at once: this one starts once the child's waiters are in.
      await waitFor('the child to start its waiters', () => childOut.startsWith('started\n'), 30_000);
      const client = createClient(redis.url);
      const lock = new SpaceLock({
        redis: client,
        keyPrefix: redis.prefix,
        ttlMs: 5_000,
        wakeOnRelease,
        logger: recordingLogger(),
      });
      const section = (who: string) => async () => {
        const active = await client.incr(`${redis.prefix}active`);
        await sleep(20);
        await client.decr(`${redis.prefix}active`);
        await client.rpush(`${redis.prefix}ran`, `${who} alone=${active === 1}`);
      };
      const outs = await Promise.all(
        Array.from({ length: WAITERS_PER_PROCESS }, (_, i) =>
          lock.withSpaceLock('space-1', section(`parent-${i}`), { acquireRetry: RETRY }),
        ),
      );
      expect(outs.filter(isSpaceLockSkip)).toEqual([]);
      await lock.close();
      expect(await childExit).toBe(0);
      expect(JSON.parse(childOut.slice('started\n'.length))).toEqual(Array(WAITERS_PER_PROCESS).fill('ran'));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const ran = await redis.admin.lrange(`${redis.prefix}ran`, 0, -1);
    const expected = ['parent', 'child'].flatMap((p) =>
      Array.from({ length: WAITERS_PER_PROCESS }, (_, i) => `${p}-${i} alone=true`),
    );
    expect([...ran].sort()).toEqual(expected.sort());
  });
});
