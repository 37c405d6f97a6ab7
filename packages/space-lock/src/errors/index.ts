export { LockLostError, type LockLostReason } from './lock-lost.error';
export { SpaceLockClosedError } from './space-lock-closed.error';
export { UnexpectedReplyError } from './unexpected-reply.error';
