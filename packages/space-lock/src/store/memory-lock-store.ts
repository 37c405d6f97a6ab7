import { monotonicNow } from '../timing';
import type { LockStore } from './lock-store';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * The lock store for a single process with no Redis: the same
 * compare-and-set and TTL semantics as the Redis scripts, so code that runs
 * on it behaves the same when a Redis is added. Expiry is checked lazily on
 * access, which is what Redis guarantees to callers too, and leaves no timer.
 */
export class MemoryLockStore implements LockStore {
  /** Live and expired-but-not-yet-swept entries; `#live` filters the latter. */
  readonly #entries = new Map<string, Entry>();
  /** The last fencing token issued per key; kept for the store's life, as Redis keeps the counter. */
  readonly #fences = new Map<string, number>();

  constructor(private readonly now: () => number = monotonicNow) {}

  acquire(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return Promise.resolve(false);
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs });
    return Promise.resolve(true);
  }

  async acquireFenced(key: string, value: string, ttlMs: number): Promise<number | null> {
    if (!(await this.acquire(key, value, ttlMs))) return null;
    const token = (this.#fences.get(key) ?? 0) + 1;
    this.#fences.set(key, token);
    return token;
  }

  release(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return Promise.resolve(false);
    this.#entries.delete(key);
    return Promise.resolve(true);
  }

  refresh(key: string, value: string, ttlMs: number): Promise<boolean> {
    const entry = this.#live(key);
    if (entry?.value !== value) return Promise.resolve(false);
    entry.expiresAt = this.now() + ttlMs;
    return Promise.resolve(true);
  }

  /** The current holder of `key`, as GET would show it; undefined when free. */
  holder(key: string): string | undefined {
    return this.#live(key)?.value;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }
}
