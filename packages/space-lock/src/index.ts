export {
  SpaceLock,
  SKIP_IN_PROGRESS,
  SKIP_LOCK_HELD,
  isSpaceLockSkip,
  type SpaceLockSkip,
  type SpaceLockFn,
  type CloseOptions,
} from './space-lock';
export type { SpaceLockContext } from './lease';
export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_TTL_MS,
  MAX_SPACE_ID_LENGTH,
  type SpaceLockOptions,
  type SpaceLockLogger,
  type WithSpaceLockOptions,
  type AcquireRetryOptions,
} from './options';
export { LockLostError, SpaceLockClosedError, UnexpectedReplyError, type LockLostReason } from './errors';
export type { LockStore } from './store/lock-store';
export type { RedisLockClient } from './store/redis-lock-client';
export { MemoryLockStore } from './store/memory-lock-store';
