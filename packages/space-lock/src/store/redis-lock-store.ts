import type { LockStore } from './lock-store';
import { acquireFencedLock, acquireLock, refreshLock, releaseLock } from './redis-commands';
import type { RedisLockClient } from './redis-lock-client';

/** The wire-compatible store: every replica that shares the Redis shares the locks. */
export class RedisLockStore implements LockStore {
  constructor(private readonly client: RedisLockClient) {}

  acquire(key: string, value: string, ttlMs: number): Promise<boolean> {
    return acquireLock(this.client, key, value, ttlMs);
  }

  acquireFenced(key: string, value: string, ttlMs: number): Promise<number | null> {
    return acquireFencedLock(this.client, key, value, ttlMs);
  }

  release(key: string, value: string): Promise<boolean> {
    return releaseLock(this.client, key, value);
  }

  refresh(key: string, value: string, ttlMs: number): Promise<boolean> {
    return refreshLock(this.client, key, value, ttlMs);
  }
}
