import { LockLostError, type LockLostReason } from './errors/lock-lost.error';
import type { SpaceLockLogger } from './options';
import type { ScheduledTask, Scheduler } from './scheduler';
import type { LockStore } from './store/lock-store';
import { leaseDeadline, monotonicNow } from './timing';

/** What a critical section receives. */
export interface SpaceLockContext {
  readonly spaceId: string;
  /** Aborts with a `LockLostError` as its reason when this holder no longer owns the lock. */
  readonly signal: AbortSignal;
  /**
   * With `fencing: true`, this hold's token: a safe integer, higher than that
   * of every earlier hold of the space by any fencing holder. Pass it with
   * every write to the resource, which must refuse a token lower than the
   * highest it has seen. `undefined` when fencing is off.
   */
  readonly fencingToken: number | undefined;
}

/** A lease's deadline as a scheduler entry; made only for holds that outlive their first heartbeat interval. */
class DeadlineTask implements ScheduledTask {
  dueAt = 0;
  heapIndex = -1;
  constructor(private readonly lease: Lease) {}

  run(): void {
    this.lease.onDeadline();
  }
}

/** What every lease of one SpaceLock shares, kept once rather than on each lease. */
export interface LeaseOwner {
  readonly store: LockStore;
  readonly scheduler: Scheduler;
  readonly instanceId: string;
  readonly ttlMs: number;
  /** Whether the acquire takes a fencing token (`acquireFenced`). */
  readonly fencing: boolean;
  /** `refreshIntervalMs(ttlMs)`. */
  readonly intervalMs: number;
  /** Whether a lease runs out before its first heartbeat (`ttlMs` minus the drift margin is at most `intervalMs`). */
  readonly endsBeforeFirstBeat: boolean;
  readonly logger: SpaceLockLogger;
}

/**
 * One hold on a space, from the in-process reservation that precedes the
 * acquire to the end of its release: the in-process slot, the heartbeat, the
 * signal that tells the critical section when the hold is gone, and the
 * release. The lease is itself the scheduler entry of its heartbeat, and then
 * of its release's bound, so a hold allocates no timer of its own.
 */
export class Lease implements ScheduledTask {
  /** @internal When the entry is due (monotonic ms); owned by the scheduler while scheduled. */
  dueAt = 0;
  /** @internal The entry's position in the scheduler's heap; -1 when not scheduled. */
  heapIndex = -1;
  /** `ctx`, made when the acquire succeeds. */
  context: SpaceLockContext | undefined = undefined;
  fencingToken: number | undefined = undefined;
  /** Called when the space's slot is freed; set only while `close()` waits on it. */
  onFree: (() => void) | undefined = undefined;
  /** True from a successful acquire on. */
  #held = false;
  /**
   * Made on the first read of `ctx.signal` only: on Node 20 creating an
   * AbortSignal costs several times the lock's whole JS overhead per call,
   * and most critical sections never look at it.
   */
  #controller: AbortController | undefined = undefined;
  /** Why the lock was lost, once it was; a signal made later starts out aborted with it. */
  #lost: LockLostError | undefined = undefined;
  /**
   * Fires at `#validUntil` unless a refresh has moved it later by then (it
   * then re-arms). Made by the first heartbeat, or at once when the lease is
   * shorter than a heartbeat interval: a hold that ends within its first
   * interval, the common case, never pays for it.
   */
  #deadline: DeadlineTask | undefined = undefined;
  /** True while a refresh is on the wire; a tick that finds it set is skipped, so refreshes never overlap. */
  #refreshing = false;
  /** Set once the hold ends (release begun, or lost); late refresh replies are then ignored. */
  #stopped = false;
  /** The release, once begun; a second call gets the same one. */
  #release: Promise<void> | undefined = undefined;
  /** Resolves `#release`; set exactly while the release is unsettled. */
  #endRelease: (() => void) | undefined = undefined;
  /** Until when (`monotonicNow`) this process may assume it still owns the key; see `leaseDeadline`. */
  #validUntil: number;

  /**
   * The acquire's reply: true or false, or with fencing the token or null.
   * Cleared once read, so a long hold does not keep it.
   */
  acquireReply: Promise<boolean | number | null> | undefined;

  /**
   * Sends the acquire, with the clock read just before as its send time, and
   * then schedules the first heartbeat on that cadence: the bookkeeping runs
   * while the command is on the wire. Scheduled already now, not once the
   * acquire is answered: in sequential use the scheduler then never runs
   * empty between one hold's release and the next hold's acquire, and keeps
   * its timer instead of making one per hold.
   */
  constructor(
    private readonly owner: LeaseOwner,
    readonly spaceId: string,
    readonly key: string,
  ) {
    const now = monotonicNow();
    const { store, instanceId, ttlMs } = owner;
    this.acquireReply = owner.fencing
      ? store.acquireFenced!(key, instanceId, ttlMs)
      : store.acquire(key, instanceId, ttlMs);
    this.#validUntil = leaseDeadline(now, ttlMs);
    owner.scheduler.schedule(this, now + owner.intervalMs, now);
  }

  /** The acquire took the key: the hold begins. */
  hold(fencingToken: number | undefined): SpaceLockContext {
    this.#held = true;
    this.acquireReply = undefined;
    this.fencingToken = fencingToken;
    // The first beat came while the acquire was on the wire (run() skips it before the hold): it is due now.
    if (this.heapIndex < 0) this.owner.scheduler.schedule(this, this.dueAt);
    if (this.owner.endsBeforeFirstBeat) this.#armDeadline();
    return (this.context = new LeaseContext(this));
  }

  /** The acquire did not take the key, or failed: the lease is dropped before it began. */
  drop(): void {
    this.acquireReply = undefined;
    this.#stopped = true;
    this.owner.scheduler.cancel(this);
  }

  /** True from a successful acquire until its release begins. */
  get holding(): boolean {
    return this.#held && this.#release === undefined;
  }

  /** True once the acquire succeeded. */
  get acquired(): boolean {
    return this.#held;
  }

  /** Ends the heartbeat and the deadline (not a release's bound). Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#endRelease === undefined) this.owner.scheduler.cancel(this);
    if (this.#deadline !== undefined) this.owner.scheduler.cancel(this.#deadline);
  }

  /** Ends the heartbeat and tells the critical section, through its signal, that the lock is gone. */
  lose(reason: LockLostReason): void {
    this.stop();
    if (this.#lost !== undefined) return;
    this.#lost = new LockLostError({
      spaceId: this.spaceId,
      key: this.key,
      instanceId: this.owner.instanceId,
      reason,
    });
    this.#controller?.abort(this.#lost);
  }

  /**
   * Ends the heartbeat, then sends the release. Never rejects: a failed
   * release must not mask fn's result, and the TTL will free the key anyway.
   * Waits no longer than the lease: past it the key may be someone else's, so
   * a reply would tell nothing, and a frozen link would otherwise hold
   * `withSpaceLock` for the client's own timeout. Idempotent.
   */
  release(): Promise<void> {
    this.#release ??= new Promise<void>((resolve) => {
      // Sent first, and the bookkeeping done while it is on the wire: no
      // refresh can go out in between, as the scheduler runs only once this
      // turn's code is done, and by then the heartbeat is stopped.
      let sent: Promise<boolean>;
      try {
        sent = this.owner.store.release(this.key, this.owner.instanceId);
      } catch (err) {
        // A custom store that throws instead of rejecting must not leave the heartbeat running.
        sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      sent.then(
        () => this.#settleRelease(undefined),
        (err: unknown) =>
          this.#settleRelease(`space-lock: release failed for space ${this.spaceId}: ${messageOf(err)}`),
      );
      // Set before stop(), so that it leaves the heartbeat's entry in the heap for the bound below.
      this.#endRelease = resolve;
      this.stop();
      // The heartbeat's entry becomes the release's bound (run() sends no
      // refresh from here on). Left where it is when that is before the
      // deadline, which spares a move in the heap: run() moves it then.
      if (this.heapIndex < 0 || this.dueAt > this.#validUntil) this.owner.scheduler.schedule(this, this.#validUntil);
    });
    return this.#release;
  }

  /** How long this process may still assume it owns the key; 0 once the lease has run out. */
  msUntilDeadline(): number {
    return Math.max(0, this.#validUntil - monotonicNow());
  }

  /** @internal The lazily made signal behind `ctx.signal`. */
  signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#lost !== undefined) this.#controller.abort(this.#lost);
    }
    return this.#controller.signal;
  }

  #armDeadline(): void {
    this.#deadline ??= new DeadlineTask(this);
    this.owner.scheduler.schedule(this.#deadline, this.#validUntil);
  }

  /** @internal The deadline's scheduler entry fired. */
  onDeadline(): void {
    if (this.#stopped) return;
    // Refreshes that keep failing or hang (Redis down, partitioned, paused,
    // a frozen link) do not move the deadline: once it passes, another
    // replica may hold the key, whatever the heartbeat is still waiting for.
    if (this.msUntilDeadline() === 0) this.lose('expired');
    else this.#armDeadline();
  }

  /** The first outcome of the release wins: a reply after the abandonment is not reported again. */
  #settleRelease(warning: string | undefined): void {
    const resolve = this.#endRelease;
    if (resolve === undefined) return;
    this.#endRelease = undefined;
    this.owner.scheduler.cancel(this);
    if (warning !== undefined) this.owner.logger.warn(warning);
    resolve();
  }

  /** @internal The scheduler's call: a heartbeat tick, or the bound of a release in flight. */
  run(): void {
    if (this.#endRelease !== undefined) {
      if (monotonicNow() < this.#validUntil) this.owner.scheduler.schedule(this, this.#validUntil);
      else
        this.#settleRelease(
          `space-lock: release of space ${this.spaceId} still unanswered at the lease deadline; abandoned, the TTL frees the key`,
        );
      return;
    }
    // Before the hold (the acquire still on the wire) the tick is left for hold() to reschedule.
    if (this.#stopped || !this.#held) return;
    const now = monotonicNow();
    const interval = this.owner.intervalMs;
    // The cadence is part of the wire contract: due + interval, not now + interval, unless a stall put that in the past.
    const next = this.dueAt + interval;
    this.owner.scheduler.schedule(this, next > now ? next : now + interval);
    if (this.#deadline === undefined || this.#deadline.heapIndex < 0) this.#armDeadline();
    if (this.#refreshing) return;
    this.#refreshing = true;
    const { store, instanceId, ttlMs } = this.owner;
    store.refresh(this.key, instanceId, ttlMs).then(
      (stillOwned) => {
        this.#refreshing = false;
        if (this.#stopped) return;
        if (stillOwned) this.#validUntil = leaseDeadline(now, ttlMs);
        else this.lose('not-owner');
      },
      (err: unknown) => {
        this.#refreshing = false;
        if (this.#stopped) return;
        this.owner.logger.warn(`space-lock: heartbeat failed for space ${this.spaceId}: ${messageOf(err)}`);
      },
    );
  }
}

/**
 * `ctx` as fn sees it. A class with a prototype getter rather than an object
 * literal with an accessor, which V8 builds far more slowly on every hold.
 */
class LeaseContext implements SpaceLockContext {
  readonly spaceId: string;
  readonly fencingToken: number | undefined;
  readonly #lease: Lease;

  constructor(lease: Lease) {
    this.spaceId = lease.spaceId;
    this.fencingToken = lease.fencingToken;
    this.#lease = lease;
  }

  get signal(): AbortSignal {
    return this.#lease.signal();
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
