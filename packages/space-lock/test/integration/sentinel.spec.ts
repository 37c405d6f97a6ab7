import { SKIP_LOCK_HELD, SpaceLock, isSpaceLockSkip } from '../../src';
import { createClient, uniquePrefix, waitFor } from '../helpers/redis-server';
import { startRedisSentinel, type RedisSentinelHandle } from '../helpers/redis-topologies';
import { recordingLogger } from './support';

// A sentinel failover takes seconds; the servers take a while to start on a loaded machine.
jest.setTimeout(90_000);

/** The replication offset a server has reached, from INFO replication. */
function offsetOf(info: string, field: 'master_repl_offset' | 'slave_repl_offset'): number {
  return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? -1);
}

describe('SpaceLock through ioredis Sentinel support (1 master, 1 replica, 3 sentinels)', () => {
  let sentinel: RedisSentinelHandle;
  const prefix = uniquePrefix('sentinel');

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  }, 90_000);

  // failoverDetector: the sentinels demote the old master only when they next look at it (up to
  // 10 s later), and until then it still takes writes; the client must move on +switch-master.
  const replica = (ttlMs: number) =>
    new SpaceLock({
      redis: sentinel.client({ failoverDetector: true }),
      keyPrefix: prefix,
      ttlMs,
      fencing: true,
      logger: recordingLogger(),
    });

  it('keeps a hold through a SENTINEL FAILOVER, excludes a competitor after it, and the counter keeps counting', async () => {
    const ttlMs = 9_000;
    const holder = replica(ttlMs);
    const competitor = replica(ttlMs);
    const key = `${prefix}space-1`;
    const oldMaster = createClient(sentinel.master.url);
    const newMaster = createClient(sentinel.replica.url);

    const out = await holder.withSpaceLock('space-1', async ({ signal, fencingToken }) => {
      // A sentinel failover does not wait for the replica: let it catch up first, or the key could be lost (see README).
      await waitFor(
        'the replica to catch up',
        async () =>
          offsetOf(await oldMaster.info('replication'), 'master_repl_offset') ===
          offsetOf(await newMaster.info('replication'), 'slave_repl_offset'),
        10_000,
      );
      const sentinelAdmin = createClient(sentinel.sentinels[0].url);
      await sentinelAdmin.call('SENTINEL', 'FAILOVER', sentinel.name);
      await waitFor(
        'the sentinels to name the replica master',
        async () => (await sentinel.masterPort()) === sentinel.replica.port,
        30_000,
      );
      expect(await newMaster.get(key)).toBe(holder.instanceId);
      // PTTL only ever falls unless a refresh resets it: a rise is a refresh that reached the new master.
      const before = await newMaster.pttl(key);
      await waitFor('a refresh on the new master', async () => (await newMaster.pttl(key)) > before, 3 * ttlMs);
      await expect(competitor.withSpaceLock('space-1', () => 'competitor ran')).resolves.toBe(SKIP_LOCK_HELD);
      return { token: fencingToken, aborted: signal.aborted };
    });

    if (isSpaceLockSkip(out)) throw new Error(`the holder was skipped: ${out.skipped}`);
    expect(out).toEqual({ token: 1, aborted: false });
    expect(await newMaster.exists(key)).toBe(0);
    await expect(competitor.withSpaceLock('space-1', (c) => c.fencingToken)).resolves.toBe(2);
    expect(await newMaster.get(`{${key}}:fence`)).toBe('2');
  });
});
