import { UnexpectedReplyError } from '../errors/unexpected-reply.error';
import { evalScript, loadScript } from './lua-script';
import type { RedisLockClient } from './redis-lock-client';
import { flagReply, integerReply } from './replies';

const ACQUIRE_FENCED = loadScript('acquire-fenced-2');
const RELEASE = loadScript('release-1');
const REFRESH = loadScript('refresh-1');

// These sit on the lock's hot path, so they chain on the client's promise
// instead of adding an async frame (and its extra promise) each.
const isOk = (reply: unknown) => reply === 'OK';
const released = (reply: unknown) => flagReply('release-1.lua', reply);
export const refreshed = (reply: unknown): boolean => flagReply('refresh-1.lua', reply);
const fencingToken = (reply: unknown): number | null => {
  const token = integerReply('acquire-fenced-2.lua', reply);
  if (token < 0) throw new UnexpectedReplyError({ command: 'acquire-fenced-2.lua', reply });
  return token === 0 ? null : token;
};

/**
 * The fence counter of a lock key. The braces make all of the lock key its
 * Cluster hash tag, so the counter lives in the key's own slot (a script may
 * only touch keys of one slot); the lock key itself must hold no brace.
 */
export function fenceKey(key: string): string {
  return `{${key}}:fence`;
}

/** `SET key value PX ttl NX`; only the reply `OK` means the lock was taken. */
export function acquireLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return client.set(key, value, 'PX', ttlMs, 'NX').then(isOk);
}

/** SET NX PX, then INCR of the fence counter only if that took the key; see scripts/acquire-fenced-2.lua. */
export function acquireFencedLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<number | null> {
  return evalScript(client, ACQUIRE_FENCED, [key, fenceKey(key)], [value, String(ttlMs)], fencingToken);
}

/** Compare-and-delete; see scripts/release-1.lua. */
export function releaseLock(client: RedisLockClient, key: string, value: string): Promise<boolean> {
  return evalScript(client, RELEASE, [key], [value], released);
}

/** Compare-and-pexpire; see scripts/refresh-1.lua. */
export function refreshLock(client: RedisLockClient, key: string, value: string, ttlMs: number): Promise<boolean> {
  return evalScript(client, REFRESH, [key], [value, String(ttlMs)], refreshed);
}

export const scripts = { acquireFenced: ACQUIRE_FENCED, release: RELEASE, refresh: REFRESH } as const;
