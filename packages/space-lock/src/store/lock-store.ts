/**
 * The three atomic operations the lock needs from its shared store. Redis
 * implements them with SET NX PX and two compare-and-* scripts; the memory
 * store implements the same semantics for a single process.
 */
export interface LockStore {
  /** Set `key` to `value` with a TTL, only if absent. Resolves true when acquired. */
  acquire(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * `acquire`, and when it took the key, the next value of a counter kept per
   * key that never goes back: the fencing token. Resolves null when the key is
   * held. Needed only with `fencing: true`.
   */
  acquireFenced?(key: string, value: string, ttlMs: number): Promise<number | null>;
  /** Delete `key` only if it holds `value`. Resolves true when deleted. */
  release(key: string, value: string): Promise<boolean>;
  /** Reset the TTL of `key` only if it holds `value`. Resolves false when the lock is lost. */
  refresh(key: string, value: string, ttlMs: number): Promise<boolean>;
}
