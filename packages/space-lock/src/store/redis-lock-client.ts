/**
 * The only Redis commands the lock sends. Typed structurally so that an
 * ioredis `Redis`, an ioredis `Cluster`, or any client with the same
 * command signatures fits, without this package importing ioredis.
 */
export interface RedisLockClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<string | null>;
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

export function isRedisLockClient(value: unknown): value is RedisLockClient {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.set === 'function' && typeof candidate.evalsha === 'function' && typeof candidate.eval === 'function';
}
