import { UnexpectedReplyError } from '../errors/unexpected-reply.error';
import { loadScript } from './lua-script';
import { flagReply, integerReply } from './replies';

const ACQUIRE_FENCED = loadScript('acquire-fenced-2');
const RELEASE = loadScript('release-1');
const RELEASE_NOTIFY = loadScript('release-notify-1');
const REFRESH = loadScript('refresh-1');

// Reply readers of the lock's commands. They sit on the hot path, so they are
// plain functions chained on the client's promise, not async frames.
export const isOk = (reply: unknown): boolean => reply === 'OK';
export const released = (reply: unknown): boolean => flagReply('release-1.lua', reply);
export const refreshed = (reply: unknown): boolean => flagReply('refresh-1.lua', reply);
export const fencingToken = (reply: unknown): number | null => {
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

export const scripts = {
  acquireFenced: ACQUIRE_FENCED,
  release: RELEASE,
  releaseNotify: RELEASE_NOTIFY,
  refresh: REFRESH,
} as const;
