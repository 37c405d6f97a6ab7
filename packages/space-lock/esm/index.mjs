// ESM entry: the CommonJS build is the single implementation, so ESM and CJS
// importers in one process share the same classes (instanceof keeps working).
import cjs from '../dist/index.js';

export const {
  SpaceLock,
  SKIP_IN_PROGRESS,
  SKIP_LOCK_HELD,
  isSpaceLockSkip,
  DEFAULT_KEY_PREFIX,
  DEFAULT_TTL_MS,
  MAX_SPACE_ID_LENGTH,
  LockLostError,
  SpaceLockClosedError,
  UnexpectedReplyError,
  MemoryLockStore,
} = cjs;
