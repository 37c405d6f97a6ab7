import type Redis from 'ioredis';
import { RedisPushWaiters } from '../../../src/orchestrator';
import {
  createClient,
  deleteKeys,
  getRedisUrl,
  uniquePrefix,
} from '../../../../../packages/space-lock/test/helpers/redis-server';
import { waitFor } from '../../../../../packages/space-lock/test/helpers/wait-for';

const SPACE = '0b0c6a4e-5d1f-4c1e-9a52-3f1f7f0d2a01';

describe('push waiter markers on a real Redis', () => {
  let admin: Redis;
  let prefix: string;
  let waiters: RedisPushWaiters;
  let otherReplica: RedisPushWaiters;

  beforeAll(async () => {
    admin = createClient(await getRedisUrl());
  });
  beforeEach(async () => {
    prefix = uniquePrefix(expect.getState().currentTestName ?? 'push-waiters');
    waiters = new RedisPushWaiters(createClient(await getRedisUrl()), prefix);
    otherReplica = new RedisPushWaiters(createClient(await getRedisUrl()), prefix);
  });
  afterEach(() => deleteKeys(admin, prefix));

  it('lives beside the lock key, never on it, and carries the remaining wait as its TTL', async () => {
    await waiters.announce(SPACE, 'push-1', 5_000);
    expect(await admin.get(`${prefix}wait:${SPACE}`)).toBe('push-1');
    expect(await admin.exists(`${prefix}${SPACE}`)).toBe(0);
    const pttl = await admin.pttl(`${prefix}wait:${SPACE}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
    await expect(otherReplica.isWaiting(SPACE)).resolves.toBe(true);
  });

  it('is removed only by the waiter that wrote it last', async () => {
    await waiters.announce(SPACE, 'first', 5_000);
    await otherReplica.announce(SPACE, 'second', 5_000);
    await waiters.withdraw(SPACE, 'first');
    await expect(waiters.isWaiting(SPACE)).resolves.toBe(true);
    await otherReplica.withdraw(SPACE, 'second');
    await expect(waiters.isWaiting(SPACE)).resolves.toBe(false);
  });

  it('lapses on its own when its waiter is gone', async () => {
    await waiters.announce(SPACE, 'died', 50);
    await waitFor('the marker to lapse', async () => !(await otherReplica.isWaiting(SPACE)), 10_000);
    expect(await admin.exists(`${prefix}wait:${SPACE}`)).toBe(0);
  });
});
