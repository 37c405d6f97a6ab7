import { SKIP_LOCK_HELD, SpaceLock, isSpaceLockSkip, type SpaceLockContext } from '../../src';
import { fenceKey } from '../../src/store/redis-commands';
import { uniquePrefix, waitFor } from '../helpers/redis-server';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis-topologies';
import { gate, recordingLogger } from './support';

// Starting six servers and forming the cluster takes a while on a loaded machine.
jest.setTimeout(90_000);

describe('SpaceLock on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  const prefix = uniquePrefix('cluster');

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);

  const replica = (ttlMs: number) =>
    new SpaceLock({ redis: cluster.client(), keyPrefix: prefix, ttlMs, fencing: true, logger: recordingLogger() });

  /** Space ids whose keys land on every master, `perMaster` on each. */
  async function spacesOnEveryMaster(perMaster: number, tag: string): Promise<string[]> {
    const byMaster = new Map<string, string[]>();
    for (let i = 0; i < 500; i++) {
      if (byMaster.size === 3 && [...byMaster.values()].every((s) => s.length === perMaster)) break;
      const spaceId = `${tag}-${i}`;
      const { master } = await cluster.shardOf(await cluster.slotOf(prefix + spaceId));
      const spaces = byMaster.get(master.id) ?? [];
      if (spaces.length < perMaster) spaces.push(spaceId);
      byMaster.set(master.id, spaces);
    }
    expect(byMaster.size).toBe(3);
    return [...byMaster.values()].flat();
  }

  it('holds and fences spaces on every master, each counter in its key’s own slot', async () => {
    const spaces = await spacesOnEveryMaster(2, 'spread');
    const a = replica(5_000);
    const b = replica(5_000);
    for (const spaceId of spaces) {
      expect(await cluster.slotOf(fenceKey(prefix + spaceId))).toBe(await cluster.slotOf(prefix + spaceId));
    }
    const entered = spaces.map(() => gate());
    const done = gate();
    const holds = spaces.map((spaceId, i) =>
      a.withSpaceLock(spaceId, async ({ fencingToken }) => {
        entered[i].open();
        await done.promise;
        return fencingToken;
      }),
    );
    await Promise.all(entered.map((e) => e.promise));
    for (const spaceId of spaces) await expect(b.withSpaceLock(spaceId, () => 'b ran')).resolves.toBe(SKIP_LOCK_HELD);
    done.open();
    expect(await Promise.all(holds)).toEqual(spaces.map(() => 1));
    for (const spaceId of spaces) await expect(b.withSpaceLock(spaceId, (ctx) => ctx.fencingToken)).resolves.toBe(2);
  });

  it('keeps a hold through a CLUSTER FAILOVER of its shard, and the counter keeps counting after it', async () => {
    const ttlMs = 6_000;
    const [spaceId] = await spacesOnEveryMaster(1, 'failover');
    const key = prefix + spaceId;
    const holder = replica(ttlMs);
    const competitor = replica(ttlMs);
    const { master, replica: promoted } = await cluster.shardOf(await cluster.slotOf(key));
    let ctx: SpaceLockContext | undefined;

    const out = await holder.withSpaceLock(spaceId, async (c) => {
      ctx = c;
      // A manual failover waits for the replica to catch up, so no write is lost.
      await cluster.node(promoted.port).call('CLUSTER', 'FAILOVER');
      await waitFor(
        'the replica to take over the shard',
        async () => ((await cluster.node(promoted.port).call('ROLE')) as [string])[0] === 'master',
        30_000,
      );
      const onNewMaster = cluster.node(promoted.port);
      expect(await onNewMaster.get(key)).toBe(holder.instanceId);
      // PTTL only ever falls unless a refresh resets it: a rise is a refresh that reached the new master.
      const before = await onNewMaster.pttl(key);
      await waitFor('a refresh on the new master', async () => (await onNewMaster.pttl(key)) > before, 3 * ttlMs);
      await expect(competitor.withSpaceLock(spaceId, () => 'competitor ran')).resolves.toBe(SKIP_LOCK_HELD);
      return { token: c.fencingToken, aborted: c.signal.aborted };
    });

    if (isSpaceLockSkip(out)) throw new Error(`the holder was skipped: ${out.skipped}`);
    expect(out).toEqual({ token: 1, aborted: false });
    expect(ctx?.signal.aborted).toBe(false);
    expect(((await cluster.node(master.port).call('ROLE')) as [string])[0]).toBe('slave');
    expect(await cluster.node(promoted.port).exists(key)).toBe(0);
    await expect(competitor.withSpaceLock(spaceId, (c) => c.fencingToken)).resolves.toBe(2);
  });
});
