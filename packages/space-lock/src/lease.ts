import { LockLostError, type LockLostReason } from './errors/lock-lost.error';
import type { SpaceLockLogger } from './options';
import type { ScheduledTask, Scheduler } from './scheduler';
import type { LockStore } from './store/lock-store';
import { leaseDeadline, monotonicNow, refreshIntervalMs } from './timing';

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
  constructor(readonly run: () => void) {}
}

/**
 * One acquired hold on a space: its heartbeat and the signal that tells the
 * critical section when the hold is gone. The lease is itself the scheduler
 * entry of its heartbeat, so a hold allocates no timer of its own.
 */
export class Lease implements ScheduledTask {
  readonly context: SpaceLockContext;
  /** @internal When the next heartbeat is due (monotonic ms); owned by the scheduler while scheduled. */
  dueAt = 0;
  /** @internal The heartbeat's position in the scheduler's heap; -1 when not scheduled. */
  heapIndex = -1;
  /**
   * Made on the first read of `ctx.signal` only: on Node 20 creating an
   * AbortSignal costs several times the lock's whole JS overhead per call,
   * and most critical sections never look at it.
   */
  #controller: AbortController | undefined;
  /** Why the lock was lost, once it was; a signal made later starts out aborted with it. */
  #lost: LockLostError | undefined;
  /**
   * Fires at `#validUntil` unless a refresh has moved it later by then (it
   * then re-arms). Made by the first heartbeat, or at once when the lease is
   * shorter than a heartbeat interval: a hold that ends within its first
   * interval, the common case, never pays for it.
   */
  #deadline: DeadlineTask | undefined;
  /** True while a refresh is on the wire; a tick that finds it set is skipped, so refreshes never overlap. */
  #refreshing = false;
  /** Set once the hold ends (released or lost); late refresh replies are then ignored. */
  #stopped = false;
  /** Until when (`monotonicNow`) this process may assume it still owns the key; see `leaseDeadline`. */
  #validUntil: number;
  readonly #interval: number;
  readonly #acquireSentAt: number;

  constructor(
    private readonly store: LockStore,
    private readonly scheduler: Scheduler,
    readonly spaceId: string,
    readonly key: string,
    private readonly instanceId: string,
    private readonly ttlMs: number,
    private readonly logger: SpaceLockLogger,
    acquireSentAt: number,
    readonly fencingToken: number | undefined,
  ) {
    this.context = new LeaseContext(this);
    this.#validUntil = leaseDeadline(acquireSentAt, ttlMs);
    this.#interval = refreshIntervalMs(ttlMs);
    this.#acquireSentAt = acquireSentAt;
  }

  /** Starts the heartbeat on the cadence of the acquire's send time, the clock reading the hot path already has. */
  startHeartbeat(): void {
    this.scheduler.schedule(this, this.#acquireSentAt + this.#interval, this.#acquireSentAt);
    if (this.#validUntil - this.#acquireSentAt <= this.#interval) this.#armDeadline();
  }

  /** Ends the heartbeat and the deadline. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.scheduler.cancel(this);
    if (this.#deadline !== undefined) this.scheduler.cancel(this.#deadline);
  }

  /** Ends the heartbeat and tells the critical section, through its signal, that the lock is gone. */
  lose(reason: LockLostReason): void {
    this.stop();
    if (this.#lost !== undefined) return;
    this.#lost = new LockLostError({ spaceId: this.spaceId, key: this.key, instanceId: this.instanceId, reason });
    this.#controller?.abort(this.#lost);
  }

  /** Until when (monotonic ms) this process may assume it owns the key. */
  get validUntil(): number {
    return this.#validUntil;
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
    this.#deadline ??= new DeadlineTask(() => this.#onDeadline());
    this.scheduler.schedule(this.#deadline, this.#validUntil);
  }

  #onDeadline(): void {
    if (this.#stopped) return;
    // Refreshes that keep failing or hang (Redis down, partitioned, paused,
    // a frozen link) do not move the deadline: once it passes, another
    // replica may hold the key, whatever the heartbeat is still waiting for.
    if (this.msUntilDeadline() === 0) this.lose('expired');
    else this.#armDeadline();
  }

  /** @internal The heartbeat tick, run by the scheduler. */
  run(): void {
    if (this.#stopped) return;
    const now = monotonicNow();
    // The cadence is part of the wire contract: due + interval, not now + interval, unless a stall put that in the past.
    const next = this.dueAt + this.#interval;
    this.scheduler.schedule(this, next > now ? next : now + this.#interval);
    if (this.#deadline === undefined || this.#deadline.heapIndex < 0) this.#armDeadline();
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.store.refresh(this.key, this.instanceId, this.ttlMs).then(
      (stillOwned) => {
        this.#refreshing = false;
        if (this.#stopped) return;
        if (stillOwned) this.#validUntil = leaseDeadline(now, this.ttlMs);
        else this.lose('not-owner');
      },
      (err: unknown) => {
        this.#refreshing = false;
        if (this.#stopped) return;
        this.logger.warn(`space-lock: heartbeat failed for space ${this.spaceId}: ${messageOf(err)}`);
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
