import { randomUUID } from 'node:crypto';
import { SpaceLockClosedError } from './errors/space-lock-closed.error';
import { UnexpectedReplyError } from './errors/unexpected-reply.error';
import { Lease, type LeaseOwner, type SpaceLockContext } from './lease';
import {
  assertFunction,
  assertSpaceId,
  resolveCallOptions,
  resolveOptions,
  type ResolvedRetry,
  type SpaceLockLogger,
  type SpaceLockOptions,
  type WithSpaceLockOptions,
} from './options';
import type { LockStore } from './store/lock-store';
import { MemoryLockStore } from './store/memory-lock-store';
import { RedisLockStore } from './store/redis-lock-store';
import { ReleaseSubscription } from './store/release-subscription';
import { waitForRelease, wakeWaiters } from './release-waiters';
import { processScheduler } from './scheduler';
import { backoffDelayMs, leaseDeadline, monotonicNow, refreshIntervalMs } from './timing';

/** Returned instead of fn's result when this instance is already running fn for the space. */
export const SKIP_IN_PROGRESS: { readonly skipped: 'in-progress' } = Object.freeze({ skipped: 'in-progress' });
/** Returned instead of fn's result when another holder (another replica) owns the space. */
export const SKIP_LOCK_HELD: { readonly skipped: 'lock-held' } = Object.freeze({ skipped: 'lock-held' });
export type SpaceLockSkip = typeof SKIP_IN_PROGRESS | typeof SKIP_LOCK_HELD;

/**
 * True for the two skip sentinels. They are compared by identity, so a
 * critical section that happens to return `{ skipped: ... }` is never
 * mistaken for a skip.
 */
export function isSpaceLockSkip(value: unknown): value is SpaceLockSkip {
  return value === SKIP_IN_PROGRESS || value === SKIP_LOCK_HELD;
}

export type SpaceLockFn<T> = (ctx: SpaceLockContext) => T | PromiseLike<T>;

export interface CloseOptions {
  /**
   * How long to wait for running critical sections before releasing their
   * locks under them.
   * @default 10000
   */
  graceMs?: number;
}

// The in-memory store models "one Redis per process": every SpaceLock in the
// process that was given no Redis shares it, so they still exclude each other.
let processMemoryStore: MemoryLockStore | undefined;

function sharedMemoryStore(logger: SpaceLockLogger): MemoryLockStore {
  if (processMemoryStore === undefined) {
    processMemoryStore = new MemoryLockStore();
    logger.log(
      'space-lock: no Redis configured; using the in-memory lock store (single-replica mode: replicas in other processes are not excluded)',
    );
  }
  return processMemoryStore;
}

/**
 * A per-space single-writer lock: an in-process mutex in front of a Redis
 * leader lock shared by every replica, kept alive by a heartbeat while the
 * critical section runs.
 *
 * @example
 * ```ts
 * const lock = new SpaceLock({ redis: new Redis(), ttlMs: 30_000 });
 * const out = await lock.withSpaceLock(spaceId, async ({ signal }) => {
 *   await syncSpace(spaceId, { signal });
 *   return 'synced';
 * });
 * if (isSpaceLockSkip(out)) console.log(`skipped: ${out.skipped}`);
 * ```
 */
export class SpaceLock {
  /** This instance's identity, and the value it writes into every lock key. */
  readonly instanceId: string = randomUUID();
  readonly keyPrefix: string;
  readonly ttlMs: number;
  /** Whether holds carry a fencing token (`ctx.fencingToken`). */
  readonly fencing: boolean;
  readonly #store: LockStore;
  /** With `wakeOnRelease`, hears the releases of other processes; undefined otherwise. */
  readonly #releases: ReleaseSubscription | undefined;
  readonly #logger: SpaceLockLogger;
  /** The in-process mutex: a space's lease is in here from its synchronous reservation until its release ends. */
  readonly #slots = new Map<string, Lease>();
  readonly #owner: LeaseOwner;
  #closing: Promise<void> | undefined;

  constructor(options?: SpaceLockOptions) {
    const resolved = resolveOptions(options);
    this.keyPrefix = resolved.keyPrefix;
    this.ttlMs = resolved.ttlMs;
    this.fencing = resolved.fencing;
    this.#logger = resolved.logger;
    const { redis, wakeOnRelease } = resolved;
    this.#store =
      resolved.store ??
      (redis !== undefined ? new RedisLockStore(redis, wakeOnRelease) : sharedMemoryStore(resolved.logger));
    const intervalMs = refreshIntervalMs(this.ttlMs);
    this.#owner = {
      store: this.#store,
      scheduler: processScheduler,
      instanceId: this.instanceId,
      ttlMs: this.ttlMs,
      fencing: this.fencing,
      intervalMs,
      endsBeforeFirstBeat: leaseDeadline(0, this.ttlMs) <= intervalMs,
      logger: this.#logger,
    };
    if (wakeOnRelease && redis?.duplicate !== undefined) {
      const duplicate = redis.duplicate.bind(redis);
      this.#releases = new ReleaseSubscription(duplicate, wakeWaiters, resolved.logger);
    }
  }

  /**
   * Runs `fn` while holding the space's lock in this process and across
   * replicas, and returns its result. Returns `SKIP_IN_PROGRESS` or
   * `SKIP_LOCK_HELD` (without running fn) when the space is busy.
   * If fn throws, the lock is released and the same error is rethrown.
   */
  async withSpaceLock<T>(
    spaceId: string,
    fn: SpaceLockFn<T>,
    options?: WithSpaceLockOptions,
  ): Promise<T | SpaceLockSkip> {
    assertSpaceId(spaceId);
    assertFunction('fn', fn);
    const { retry, signal } = resolveCallOptions(options);
    this.#assertOpen(spaceId);
    signal?.throwIfAborted();

    // #acquire inlined: an async frame more would be a promise and a microtask more per call.
    let lease: Lease | SpaceLockSkip = SKIP_IN_PROGRESS;
    const begun = this.#begin(spaceId);
    if (begun !== undefined) {
      try {
        lease = this.#settle(begun, await begun.acquireReply!);
      } catch (err) {
        throw this.#failed(begun, err);
      }
    }
    if (isSpaceLockSkip(lease) && retry !== undefined) lease = await this.#retryAcquire(spaceId, lease, retry, signal);
    if (isSpaceLockSkip(lease)) return lease;

    // Inlined rather than a helper: every async frame on this path is a
    // promise and a microtask more per call, which shows at high throughput.
    try {
      return await fn(lease.context!);
    } finally {
      // The release ends the heartbeat before it is sent, so no refresh
      // follows it; the slot goes last, so this process cannot re-acquire a
      // key it has not given back yet.
      await lease.release();
      this.#free(lease);
      wakeWaiters(lease.key);
    }
  }

  /** True while this instance is running a critical section for the space. */
  isRunning(spaceId: string): boolean {
    return this.#slots.has(spaceId);
  }

  /**
   * Stops new work (later calls reject with `SpaceLockClosedError`), waits up
   * to `graceMs` for running critical sections, then releases every lock this
   * instance still holds and aborts their signals. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.graceMs ?? 10_000);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const running = [...this.#slots.values()].map(
      (lease) =>
        new Promise<void>((resolve) => {
          const previous = lease.onFree;
          lease.onFree = () => {
            previous?.();
            resolve();
          };
        }),
    );
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([Promise.all(running), grace]);
      clearTimeout(timer);
    }
    await Promise.all(
      [...this.#slots.values()].map(async (lease) => {
        if (!lease.acquired) return;
        // A release already under way is waited for, not repeated.
        if (lease.holding) lease.lose('closed');
        await lease.release();
        wakeWaiters(lease.key);
      }),
    );
    this.#releases?.close();
    processScheduler.idle();
  }

  #assertOpen(spaceId: string): void {
    if (this.#closing !== undefined) throw new SpaceLockClosedError({ instanceId: this.instanceId, spaceId });
  }

  /** One attempt: reserve the in-process slot synchronously, then take the key in the store. */
  async #acquire(spaceId: string): Promise<Lease | SpaceLockSkip> {
    const begun = this.#begin(spaceId);
    if (begun === undefined) return SKIP_IN_PROGRESS;
    try {
      return this.#settle(begun, await begun.acquireReply!);
    } catch (err) {
      throw this.#failed(begun, err);
    }
  }

  /** Reserves the space's slot and sends the acquire; undefined when this instance already runs fn for the space. */
  #begin(spaceId: string): Lease | undefined {
    if (this.#slots.has(spaceId)) return undefined;
    const lease = new Lease(this.#owner, spaceId, this.keyPrefix + spaceId);
    this.#slots.set(spaceId, lease);
    return lease;
  }

  /** The acquire's answer: the hold begins, or the key is held elsewhere and the slot is freed. */
  #settle(lease: Lease, taken: boolean | number | null): Lease | SpaceLockSkip {
    if (taken === false || taken === null) {
      lease.drop();
      this.#free(lease);
      return SKIP_LOCK_HELD;
    }
    lease.hold(taken === true ? undefined : taken);
    return lease;
  }

  /** The acquire failed: frees the slot, and returns the error to rethrow. */
  #failed(lease: Lease, err: unknown): unknown {
    lease.drop();
    this.#free(lease);
    if (err instanceof UnexpectedReplyError)
      this.#logger.warn(`space-lock: acquire of space ${lease.spaceId} failed: ${err.message}`);
    return err;
  }

  async #retryAcquire(
    spaceId: string,
    first: SpaceLockSkip,
    retry: ResolvedRetry,
    signal: AbortSignal | undefined,
  ): Promise<Lease | SpaceLockSkip> {
    const key = this.keyPrefix + spaceId;
    const deadline = monotonicNow() + retry.totalMs;
    let outcome: Lease | SpaceLockSkip = first;
    let listening = false;
    try {
      for (let attempt = 0; isSpaceLockSkip(outcome); attempt++) {
        const remaining = deadline - monotonicNow();
        if (remaining <= 0) break;
        // Held elsewhere: listen for its release. Held here: this process wakes its own waiters.
        if (!listening && outcome === SKIP_LOCK_HELD && this.#releases !== undefined) {
          this.#releases.watch(key);
          listening = true;
        }
        await waitForRelease(key, Math.min(remaining, backoffDelayMs(attempt, retry.baseMs, retry.maxMs)), signal);
        this.#assertOpen(spaceId);
        outcome = await this.#acquire(spaceId);
      }
    } finally {
      if (listening) this.#releases!.unwatch(key);
    }
    return outcome;
  }

  #free(lease: Lease): void {
    if (this.#slots.get(lease.spaceId) !== lease) return;
    this.#slots.delete(lease.spaceId);
    lease.onFree?.();
  }
}
