import { LockLostError, SKIP_LOCK_HELD, SpaceLock, isSpaceLockSkip } from '../../src';
import { fenceKey } from '../../src/store/redis-commands';
import { createClient, deleteKeys, waitFor } from '../helpers/redis-server';
import { abortedWithin, gate, recordingLogger, sharedRedisPerTest } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const TTL_MS = 600;

describe('fencing tokens on a real Redis', () => {
  const redis = sharedRedisPerTest('fencing');
  // The counters sit under `{<prefix>…}:fence`, outside the prefix.
  afterEach(() => deleteKeys(redis.admin, `{${redis.prefix}`));

  const replica = (fencing: boolean, ttlMs = TTL_MS) =>
    new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      ttlMs,
      fencing,
      logger: recordingLogger(),
    });

  it('issues strictly increasing tokens across replicas, one counter per key, kept without a TTL', async () => {
    const replicas = [replica(true), replica(true), replica(true)];
    const tokens: number[] = [];
    for (let i = 0; i < 12; i++) {
      const out = await replicas[i % 3].withSpaceLock('space-1', (ctx) => ctx.fencingToken);
      if (isSpaceLockSkip(out) || out === undefined) throw new Error(`hold ${i} got no token`);
      tokens.push(out);
    }
    expect(tokens).toEqual(tokens.map((_, i) => tokens[0] + i));
    expect(tokens.every(Number.isSafeInteger)).toBe(true);
    await expect(replicas[0].withSpaceLock('space-2', (ctx) => ctx.fencingToken)).resolves.toBe(1);
    const fence = fenceKey(`${redis.prefix}space-1`);
    expect(await redis.admin.get(fence)).toBe(String(tokens[11]));
    expect(await redis.admin.pttl(fence)).toBe(-1);
  });

  it('excludes a replica that acquires with plain SET, in both directions', async () => {
    const fencing = replica(true);
    const plain = replica(false);
    for (const [first, second] of [
      [fencing, plain],
      [plain, fencing],
    ]) {
      const entered = gate();
      const done = gate();
      const held = first.withSpaceLock('space-1', async () => {
        entered.open();
        await done.promise;
      });
      await entered.promise;
      const fn = jest.fn();
      await expect(second.withSpaceLock('space-1', fn)).resolves.toBe(SKIP_LOCK_HELD);
      expect(fn).not.toHaveBeenCalled();
      expect(await redis.admin.get(`${redis.prefix}space-1`)).toBe(first.instanceId);
      done.open();
      await held;
    }
    // Only the fencing hold drew a token; the plain SET one and the refused attempt did not.
    expect(await redis.admin.get(fenceKey(`${redis.prefix}space-1`))).toBe('1');
  });

  it('gives the next holder a higher token when the key vanished under the last one, and the old one learns it', async () => {
    const old = replica(true);
    const next = replica(true);
    const plain = replica(false);
    const key = `${redis.prefix}space-1`;
    const out = await old.withSpaceLock('space-1', async ({ signal, fencingToken }) => {
      // The key expires under the old holder (as after a pause past its lease).
      await redis.admin.pexpire(key, 1);
      await waitFor('the key to expire', async () => (await redis.admin.exists(key)) === 0, 5_000);
      // A plain SET replica passes through, then a fencing one takes the space.
      await expect(plain.withSpaceLock('space-1', () => 'plain ran')).resolves.toBe('plain ran');
      const entered = gate();
      const done = gate();
      const nextHeld = next.withSpaceLock('space-1', async (ctx) => {
        entered.open();
        await done.promise;
        return ctx.fencingToken;
      });
      await entered.promise;
      const reason = await abortedWithin(signal, 10 * TTL_MS);
      return { oldToken: fencingToken, reason, finish: () => done.open(), nextHeld };
    });
    if (isSpaceLockSkip(out)) throw new Error('the old holder was skipped');
    // The old holder's release ran while the new one held the key, and left it alone.
    expect(await redis.admin.get(key)).toBe(next.instanceId);
    out.finish();
    const nextToken = await out.nextHeld;
    expect(out.reason).toBeInstanceOf(LockLostError);
    expect((out.reason as LockLostError).reason).toBe('not-owner');
    expect(out.oldToken).toBe(1);
    expect(nextToken).toBe(2);
  });
});
