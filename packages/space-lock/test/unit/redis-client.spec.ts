import Redis, { Cluster } from 'ioredis';
import { SpaceLock, type RedisLockClient } from '../../src';
import { CorkedBatch, PipelinedBatch, commandBatchFor } from '../../src/store/command-batch';
import { isRedisLockClient } from '../../src/store/redis-lock-client';

describe('the structural Redis client type', () => {
  it('fits ioredis Redis and Cluster without a cast', () => {
    // lazyConnect: nothing is dialled; this is about shape only.
    const redis = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
    try {
      // The annotation is the compile-time check (`npm run lint` type-checks tests).
      const clients: RedisLockClient[] = [redis, cluster];
      expect(clients.every(isRedisLockClient)).toBe(true);
      expect(() => new SpaceLock({ redis: cluster })).not.toThrow();
    } finally {
      redis.disconnect();
      cluster.disconnect();
    }
  });

  it('rejects objects missing a command the lock sends', () => {
    expect(isRedisLockClient({ set() {}, eval() {} })).toBe(false);
    expect(isRedisLockClient(null)).toBe(false);
  });

  it('corks a plain client, pipelines on an auto-pipelining one, and sends one by one on a Cluster', () => {
    const plain = new Redis({ lazyConnect: true });
    const autoPipelined = new Redis({ lazyConnect: true, enableAutoPipelining: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true });
    try {
      expect(commandBatchFor(plain)).toBeInstanceOf(CorkedBatch);
      expect(commandBatchFor(autoPipelined)).toBeInstanceOf(PipelinedBatch);
      expect(commandBatchFor(cluster)).toBeUndefined();
    } finally {
      for (const c of [plain, autoPipelined, cluster]) c.disconnect();
    }
  });
});
