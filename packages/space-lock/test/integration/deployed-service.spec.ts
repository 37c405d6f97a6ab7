import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { LockLostError, SKIP_LOCK_HELD, SpaceLock } from '../../src';
import { createClient, deleteKeys, waitFor } from '../helpers/redis-server';
import { abortedWithin, gate, recordingLogger, sharedRedisPerTest } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const DEPLOYED_TTL_MS = 300_000;
// The deployed service sends its scripts inline with EVAL, never EVALSHA.
const DEPLOYED_RELEASE =
  'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end';
const DEPLOYED_REFRESH =
  'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end';

/** A replica of the service deployed today, command for command: SET NX PX 300 000, inline EVAL release and refresh. */
class DeployedReplica {
  readonly instanceId = randomUUID();
  constructor(private readonly client: Redis) {}

  async acquire(key: string): Promise<boolean> {
    return (await this.client.set(key, this.instanceId, 'PX', DEPLOYED_TTL_MS, 'NX')) === 'OK';
  }

  async refresh(key: string): Promise<unknown> {
    return this.client.eval(DEPLOYED_REFRESH, 1, key, this.instanceId, String(DEPLOYED_TTL_MS));
  }

  async release(key: string): Promise<unknown> {
    return this.client.eval(DEPLOYED_RELEASE, 1, key, this.instanceId);
  }
}

const TTL_MS = 900;

describe.each([false, true])('the deployed service and a SpaceLock with fencing %p on one Redis', (fencing) => {
  const redis = sharedRedisPerTest(`deployed-service-${fencing}`);
  afterEach(() => deleteKeys(redis.admin, `{${redis.prefix}`));

  const spaceLock = () =>
    new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      ttlMs: TTL_MS,
      fencing,
      logger: recordingLogger(),
    });
  const keyOf = (spaceId: string) => redis.prefix + spaceId;

  it('a deployed holder keeps the space: the SpaceLock gets lock-held through its retries, and neither deletes nor extends the key', async () => {
    const deployed = new DeployedReplica(createClient(redis.url));
    const lock = spaceLock();
    const key = keyOf('space-1');
    expect(await deployed.acquire(key)).toBe(true);
    const pttlBefore = await redis.admin.pttl(key);

    const fn = jest.fn();
    // Retries across more than a whole TTL of the SpaceLock, so a stray refresh or release of its own would have run.
    await expect(
      lock.withSpaceLock('space-1', fn, { acquireRetry: { totalMs: 2 * TTL_MS, baseMs: 20, maxMs: 100 } }),
    ).resolves.toBe(SKIP_LOCK_HELD);
    expect(fn).not.toHaveBeenCalled();
    expect(await redis.admin.get(key)).toBe(deployed.instanceId);
    const pttlAfter = await redis.admin.pttl(key);
    expect(pttlAfter).toBeLessThanOrEqual(pttlBefore);
    expect(pttlAfter).toBeGreaterThan(DEPLOYED_TTL_MS - 60_000);
    expect(await redis.admin.exists(`{${key}}:fence`)).toBe(0);

    // The deployed one's own scripts work on its key as they always did.
    expect(Number(await deployed.refresh(key))).toBe(1);
    expect(Number(await deployed.release(key))).toBe(1);
    await expect(lock.withSpaceLock('space-1', () => 'ran')).resolves.toBe('ran');
  });

  it('a SpaceLock holder keeps the space: the deployed SET gets nothing, and its release and refresh neither delete nor extend the key', async () => {
    const deployed = new DeployedReplica(createClient(redis.url));
    const lock = spaceLock();
    const key = keyOf('space-1');
    const entered = gate();
    const done = gate();
    let signal: AbortSignal | undefined;
    const held = lock.withSpaceLock('space-1', async (ctx) => {
      signal = ctx.signal;
      entered.open();
      await done.promise;
    });
    await entered.promise;

    expect(await deployed.acquire(key)).toBe(false);
    expect(Number(await deployed.refresh(key))).toBe(0);
    expect(Number(await deployed.release(key))).toBe(0);
    expect(await redis.admin.get(key)).toBe(lock.instanceId);
    expect(await redis.admin.pttl(key)).toBeLessThanOrEqual(TTL_MS);
    // Past a refresh of the SpaceLock's own, the hold is intact. Between refreshes the TTL only falls,
    // so a sample above the one before it is a refresh, wherever on the sawtooth sampling began.
    let previous = await redis.admin.pttl(key);
    await waitFor(
      'a refresh by the SpaceLock',
      async () => {
        const now = await redis.admin.pttl(key);
        const rose = now > previous;
        previous = now;
        return rose;
      },
      10 * TTL_MS,
    );
    expect(signal?.aborted).toBe(false);
    expect(await deployed.acquire(key)).toBe(false);

    done.open();
    await held;
    expect(await redis.admin.exists(key)).toBe(0);
    expect(await deployed.acquire(key)).toBe(true);
  });

  it('a SpaceLock whose key expired under it neither deletes nor extends the deployed holder that took it', async () => {
    const deployed = new DeployedReplica(createClient(redis.url));
    const lock = spaceLock();
    const key = keyOf('space-1');
    const out = await lock.withSpaceLock('space-1', async ({ signal }) => {
      await redis.admin.pexpire(key, 1);
      await waitFor('the deployed replica to take the expired key', () => deployed.acquire(key), 5_000);
      return abortedWithin(signal, 5 * TTL_MS);
    });
    expect(out).toBeInstanceOf(LockLostError);
    expect((out as LockLostError).reason).toBe('not-owner');
    expect(await redis.admin.get(key)).toBe(deployed.instanceId);
    // The SpaceLock's refresh would have cut it to its own TTL.
    expect(await redis.admin.pttl(key)).toBeGreaterThan(DEPLOYED_TTL_MS - 60_000);
  });
});
