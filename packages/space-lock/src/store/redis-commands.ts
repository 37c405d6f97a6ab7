import { evalScript, loadScript } from './lua-script';
import type { RedisLockClient } from './redis-lock-client';

const RELEASE = loadScript('release-1');
const REFRESH = loadScript('refresh-1');

/** `SET key value PX ttl NX`; only the reply `OK` means the lock was taken. */
export async function acquireLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return (await client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
}

/** Compare-and-delete; see scripts/release-1.lua. */
export async function releaseLock(client: RedisLockClient, key: string, value: string): Promise<boolean> {
  return (await evalScript(client, RELEASE, key, [value])) === 1;
}

/** Compare-and-pexpire; see scripts/refresh-1.lua. */
export async function refreshLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return (await evalScript(client, REFRESH, key, [value, String(ttlMs)])) === 1;
}

export const scripts = { release: RELEASE, refresh: REFRESH } as const;
