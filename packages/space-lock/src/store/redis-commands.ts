import { evalScript, loadScript } from './lua-script';
import type { RedisLockClient } from './redis-lock-client';
import { flagReply } from './replies';

const RELEASE = loadScript('release-1');
const REFRESH = loadScript('refresh-1');

// These sit on the lock's hot path, so they chain on the client's promise
// instead of adding an async frame (and its extra promise) each.
const isOk = (reply: unknown) => reply === 'OK';
const released = (reply: unknown) => flagReply('release-1.lua', reply);
const refreshed = (reply: unknown) => flagReply('refresh-1.lua', reply);

/** `SET key value PX ttl NX`; only the reply `OK` means the lock was taken. */
export function acquireLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return client.set(key, value, 'PX', ttlMs, 'NX').then(isOk);
}

/** Compare-and-delete; see scripts/release-1.lua. */
export function releaseLock(client: RedisLockClient, key: string, value: string): Promise<boolean> {
  return evalScript(client, RELEASE, key, [value], released);
}

/** Compare-and-pexpire; see scripts/refresh-1.lua. */
export function refreshLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return evalScript(client, REFRESH, key, [value, String(ttlMs)], refreshed);
}

export const scripts = { release: RELEASE, refresh: REFRESH } as const;
