import { randomUUID } from 'node:crypto';
import { SpaceLockClosedError } from './errors/space-lock-closed.error';
import { UnexpectedReplyError } from './errors/unexpected-reply.error';
import { Lease, messageOf, type SpaceLockContext } from './lease';
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
import { processScheduler, type ScheduledTask, type Scheduler } from './scheduler';
import { backoffDelayMs, monotonicNow } from './timing';

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

/** The in-process side of one space: reserved before the first await, freed last. */
interface Slot {
  lease: Lease | undefined;
  /** Called when the slot is freed; set only while `close()` waits on it, to keep the hot path allocation-free. */
  onFree: (() => void) | undefined;
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
  /** The in-process mutex: a space is in here from its synchronous reservation until its lock is released. */
  readonly #slots = new Map<string, Slot>();
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

    let lease = await this.#acquire(spaceId);
    if (isSpaceLockSkip(lease) && retry !== undefined) lease = await this.#retryAcquire(spaceId, lease, retry, signal);
    if (isSpaceLockSkip(lease)) return lease;

    // Inlined rather than a helper: every async frame on this path is a
    // promise and a microtask more per call, which shows at high throughput.
    lease.startHeartbeat();
    try {
      return await fn(lease.context);
    } finally {
      // Heartbeat first (in #release), so no refresh is sent after the
      // release; then the release; the slot last, so this process cannot
      // re-acquire a key it has not given back yet.
      await this.#release(lease);
      this.#free(spaceId, this.#slots.get(spaceId));
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
      (slot) =>
        new Promise<void>((resolve) => {
          const previous = slot.onFree;
          slot.onFree = () => {
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
      [...this.#slots.values()].map(async ({ lease }) => {
        if (lease === undefined) return;
        lease.lose('closed');
        await this.#release(lease);
        wakeWaiters(lease.key);
      }),
    );
    await this.#releases?.close();
  }

  #assertOpen(spaceId: string): void {
    if (this.#closing !== undefined) throw new SpaceLockClosedError({ instanceId: this.instanceId, spaceId });
  }

  /**
   * One attempt: reserve the in-process slot synchronously, then SET NX in
   * the store. A promise chain, not an async function, to keep the hot path
   * to one promise per step.
   */
  #acquire(spaceId: string): Promise<Lease | SpaceLockSkip> | SpaceLockSkip {
    if (this.#slots.has(spaceId)) return SKIP_IN_PROGRESS;
    const slot: Slot = { lease: undefined, onFree: undefined };
    this.#slots.set(spaceId, slot);

    const key = this.keyPrefix + spaceId;
    const sentAt = monotonicNow();
    const free = (err: unknown) => {
      this.#free(spaceId, slot);
      if (err instanceof UnexpectedReplyError)
        this.#logger.warn(`space-lock: acquire of space ${spaceId} failed: ${err.message}`);
      throw err;
    };
    if (this.fencing) {
      return this.#store.acquireFenced!(key, this.instanceId, this.ttlMs).then((token) => {
        if (token === null) {
          this.#free(spaceId, slot);
          return SKIP_LOCK_HELD;
        }
        slot.lease = new Lease(
          this.#store,
          processScheduler,
          spaceId,
          key,
          this.instanceId,
          this.ttlMs,
          this.#logger,
          sentAt,
          token,
        );
        return slot.lease;
      }, free);
    }
    return this.#store.acquire(key, this.instanceId, this.ttlMs).then((acquired) => {
      if (!acquired) {
        this.#free(spaceId, slot);
        return SKIP_LOCK_HELD;
      }
      slot.lease = new Lease(
        this.#store,
        processScheduler,
        spaceId,
        key,
        this.instanceId,
        this.ttlMs,
        this.#logger,
        sentAt,
        undefined,
      );
      return slot.lease;
    }, free);
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

  /**
   * Stops the heartbeat, then sends the release. Never rejects: a failed
   * release must not mask fn's result, and the TTL will free the key anyway.
   * Waits no longer than the lease: past it the key may be someone else's, so
   * a reply would tell nothing, and a frozen link would otherwise hold
   * `withSpaceLock` for the client's own timeout.
   */
  #release(lease: Lease): Promise<void> {
    return new Promise((resolve) => {
      const pending = new PendingRelease(processScheduler, lease.spaceId, this.#logger, resolve);
      // Scheduled before the heartbeat is cancelled, so the scheduler's timer carries over instead of being re-made.
      processScheduler.schedule(pending, lease.validUntil);
      lease.stop();
      this.#store.release(lease.key, this.instanceId).then(
        () => pending.settle(undefined),
        (err: unknown) => pending.settle(`space-lock: release failed for space ${lease.spaceId}: ${messageOf(err)}`),
      );
    });
  }

  #free(spaceId: string, slot: Slot | undefined): void {
    if (slot === undefined || this.#slots.get(spaceId) !== slot) return;
    this.#slots.delete(spaceId);
    slot.onFree?.();
  }
}

/** A release on the wire, as a scheduler entry that abandons it at the lease deadline. */
class PendingRelease implements ScheduledTask {
  dueAt = 0;
  heapIndex = -1;
  #settled = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly spaceId: string,
    private readonly logger: SpaceLockLogger,
    private readonly resolve: () => void,
  ) {}

  run(): void {
    this.settle(
      `space-lock: release of space ${this.spaceId} still unanswered at the lease deadline; abandoned, the TTL frees the key`,
    );
  }

  /** The first outcome wins: a reply after the abandonment is not reported again. */
  settle(warning: string | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.scheduler.cancel(this);
    if (warning !== undefined) this.logger.warn(warning);
    this.resolve();
  }
}
