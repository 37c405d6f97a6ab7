import type { PushWaiters } from './push-waiters.port';

/**
 * Push waiters for a single replica (the in-memory lock): the same semantics
 * as the Redis markers, one marker per space, last writer owns it.
 */
export class InMemoryPushWaiters implements PushWaiters {
  /** spaceId -> the waiter that announced last, and when its marker lapses (monotonic ms). */
  readonly #markers = new Map<string, { waiterId: string; expiresAt: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  announce(spaceId: string, waiterId: string, ttlMs: number): Promise<void> {
    this.#markers.set(spaceId, { waiterId, expiresAt: this.now() + ttlMs });
    return Promise.resolve();
  }

  withdraw(spaceId: string, waiterId: string): Promise<void> {
    if (this.#markers.get(spaceId)?.waiterId === waiterId) this.#markers.delete(spaceId);
    return Promise.resolve();
  }

  isWaiting(spaceId: string): Promise<boolean> {
    return Promise.resolve(this.#isWaiting(spaceId));
  }

  #isWaiting(spaceId: string): boolean {
    const marker = this.#markers.get(spaceId);
    if (marker === undefined) return false;
    if (marker.expiresAt > this.now()) return true;
    this.#markers.delete(spaceId);
    return false;
  }
}
