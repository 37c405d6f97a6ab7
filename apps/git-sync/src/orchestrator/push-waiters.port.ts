/**
 * Where a push announces that it is waiting for a space, so that cycles on
 * every replica step aside for it instead of taking the lock first. A marker
 * is advisory: it never grants the lock, and it expires on its own, so a
 * waiter that dies leaves no trace beyond its remaining wait.
 */
export interface PushWaiters {
  /**
   * Marks `waiterId` as waiting for the space for the next `ttlMs`. Called
   * again on every attempt, so the marker outlives whichever waiter wrote it.
   */
  announce(spaceId: string, waiterId: string, ttlMs: number): Promise<void>;
  /** Removes the marker if `waiterId` is the one that wrote it last. */
  withdraw(spaceId: string, waiterId: string): Promise<void>;
  /** True while any push is waiting for the space. */
  isWaiting(spaceId: string): Promise<boolean>;
}

export const PUSH_WAITERS = Symbol('PUSH_WAITERS');
