/**
 * The three atomic operations the lock needs from its shared store. Redis
 * implements them with SET NX PX and two compare-and-* scripts; the memory
 * store implements the same semantics for a single process.
 */
export interface LockStore {
  /** Set `key` to `value` with a TTL, only if absent. Resolves true when acquired. */
  acquire(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete `key` only if it holds `value`. Resolves true when deleted. */
  release(key: string, value: string): Promise<boolean>;
  /** Reset the TTL of `key` only if it holds `value`. Resolves false when the lock is lost. */
  refresh(key: string, value: string, ttlMs: number): Promise<boolean>;
}
