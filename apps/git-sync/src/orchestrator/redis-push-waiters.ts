import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { PushWaiters } from './push-waiters.port';

// Only the waiter that wrote the marker last may remove it: an earlier
// waiter finishing must not uncover a later one that is still waiting.
const WITHDRAW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Push waiters shared by every replica: `<keyPrefix>wait:<spaceId>` holds the
 * latest waiter's id with a PX of its remaining wait. The key lives next to
 * the lock's own keys but is never one of them, so the lock's wire contract
 * is untouched and replicas that predate it simply do not yield.
 */
export class RedisPushWaiters implements PushWaiters {
  constructor(
    private readonly redis: Pick<Redis | Cluster, 'set' | 'eval' | 'exists'>,
    private readonly keyPrefix: string,
  ) {}

  key(spaceId: string): string {
    return `${this.keyPrefix}wait:${spaceId}`;
  }

  async announce(spaceId: string, waiterId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(spaceId), waiterId, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async withdraw(spaceId: string, waiterId: string): Promise<void> {
    await this.redis.eval(WITHDRAW, 1, this.key(spaceId), waiterId);
  }

  async isWaiting(spaceId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(spaceId))) > 0;
  }
}
