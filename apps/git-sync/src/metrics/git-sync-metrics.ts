import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CycleStatus, RunOnceResult } from '../orchestrator/cycle-status';
import type { SyncMetrics } from '../orchestrator/sync-metrics.port';

/** Why a 503 went out instead of an answer. */
export type UnavailableReason = 'lock-busy' | 'not-ready' | 'shutting-down' | 'database';

/** How a cycle that ran ended; `aborted`: it stopped because the lock was lost. */
export type CycleEnd = 'ok' | 'failed' | 'aborted';

/** What a lock attempt came to. */
export type LockAttempt = 'acquired' | 'busy' | 'error';

export interface GitSyncMetricsOptions {
  /** Add a `git_sync_space_consecutive_failures{space_id}` series per failing space. @default false */
  readonly perSpace?: boolean;
  /** Most per-space series kept at once; further failing spaces are only in `git_sync_spaces_failing`. @default 500 */
  readonly maxSpaceSeries?: number;
  /** Add Node's process metrics (CPU, memory, event loop). @default false */
  readonly processMetrics?: boolean;
}

// Cycles range from an idle few milliseconds to minutes for a first sync of a big space.
const CYCLE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// An acquire is one Redis round trip when free; a push may wait seconds for a busy space.
const ACQUIRE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const PAGE_CHANGES = ['created', 'updated', 'moved', 'renamed', 'deleted'] as const;

/**
 * The server's Prometheus metrics, on a registry of its own (so several
 * servers in one test process never collide). Labels take only a few fixed
 * values each; the only per-space series is the opt-in failing gauge, which
 * holds failing spaces only and is capped.
 */
export class GitSyncMetrics implements SyncMetrics {
  readonly registry = new Registry();
  readonly #cycles: Counter<'outcome' | 'reason'>;
  readonly #cycleDuration: Histogram<'outcome'>;
  readonly #lockAcquire: Histogram<'result'>;
  readonly #lockHolds: Counter;
  readonly #lockLosses: Counter<'reason'>;
  readonly #unavailable: Counter<'reason'>;
  readonly #pushes: Counter<'result' | 'reason'>;
  readonly #pages: Counter<'change'>;
  readonly #conflicts: Counter;
  readonly #deferredDeletes: Counter;
  readonly #authFailures: Counter;
  readonly #authThrottled: Counter;
  readonly #overlaps: Counter;
  readonly #spacesFailing: Gauge;
  readonly #spaceFailures: Gauge<'space_id'> | undefined;
  /** Consecutive failed cycles per space; only spaces whose last cycle failed are present. */
  readonly #failing = new Map<string, number>();
  /** Spaces that have a per-space series; never more than `#maxSpaceSeries`. */
  readonly #labelled = new Set<string>();
  readonly #maxSpaceSeries: number;

  constructor(options: GitSyncMetricsOptions = {}) {
    const registers = [this.registry];
    this.#maxSpaceSeries = options.maxSpaceSeries ?? 500;
    this.#cycles = new Counter({
      name: 'git_sync_cycles_total',
      help: 'Sync cycles by outcome: ok, failed, aborted (the lock was lost), skipped (with its reason), error (before the lock)',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.#cycleDuration = new Histogram({
      name: 'git_sync_cycle_duration_seconds',
      help: 'Duration of the cycles that ran, by how they ended',
      labelNames: ['outcome'],
      buckets: CYCLE_BUCKETS,
      registers,
    });
    this.#lockAcquire = new Histogram({
      name: 'git_sync_lock_acquire_duration_seconds',
      help: 'Time for one attempt at a space lock, by result (acquired, busy, error)',
      labelNames: ['result'],
      buckets: ACQUIRE_BUCKETS,
      registers,
    });
    this.#lockHolds = new Counter({ name: 'git_sync_lock_holds_total', help: 'Space locks acquired', registers });
    this.#lockLosses = new Counter({
      name: 'git_sync_lock_losses_total',
      help: 'Space locks lost while held, by reason (not-owner, expired, closed)',
      labelNames: ['reason'],
      registers,
    });
    this.#unavailable = new Counter({
      name: 'git_sync_unavailable_responses_total',
      help: '503 answers to git clients, by reason (lock-busy, not-ready, shutting-down, database)',
      labelNames: ['reason'],
      registers,
    });
    this.#pushes = new Counter({
      name: 'git_sync_pushes_total',
      help: 'Push requests (receive-pack) by result (accepted, refused) and the reason of a refusal',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.#pages = new Counter({
      name: 'git_sync_pages_changed_total',
      help: 'Pages changed from git by the cycles, by change (created, updated, moved, renamed, deleted)',
      labelNames: ['change'],
      registers,
    });
    this.#conflicts = new Counter({
      name: 'git_sync_conflicts_recorded_total',
      help: 'Merge conflicts recorded (the wiki side kept aside)',
      registers,
    });
    this.#deferredDeletes = new Counter({
      name: 'git_sync_deletes_deferred_total',
      help: 'Page deletes held back by the per-cycle cap (counted again each cycle they stay deferred)',
      registers,
    });
    this.#authFailures = new Counter({
      name: 'git_sync_auth_failures_total',
      help: 'Failed logins, by git or the API',
      registers,
    });
    this.#authThrottled = new Counter({
      name: 'git_sync_auth_throttled_total',
      help: 'Logins refused with 429 for too many failures',
      registers,
    });
    this.#overlaps = new Counter({
      name: 'git_sync_work_tree_overlaps_total',
      help: 'Cycles that found another live cycle in the same working tree: 0 unless the lock failed',
      registers,
    });
    this.#spacesFailing = new Gauge({
      name: 'git_sync_spaces_failing',
      help: 'Spaces whose last cycle failed',
      registers,
    });
    if (options.perSpace) {
      this.#spaceFailures = new Gauge({
        name: 'git_sync_space_consecutive_failures',
        help: 'Consecutive failed cycles of each failing space (only failing spaces, capped)',
        labelNames: ['space_id'],
        registers,
      });
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** A cycle that did not run: skipped (with the reason), or stopped before the lock by an error. */
  cycleNotRun(result: RunOnceResult): void {
    if (result.ran) return;
    if (result.skipped !== undefined) this.#cycles.inc({ outcome: 'skipped', reason: result.skipped });
    else if (result.error !== undefined) this.#cycles.inc({ outcome: 'error', reason: '' });
  }

  /** A cycle that ran under the lock: how it ended, how long it took, and what it changed. */
  cycleRan(spaceId: string, end: CycleEnd, seconds: number, status?: CycleStatus): void {
    this.#cycles.inc({ outcome: end, reason: '' });
    this.#cycleDuration.observe({ outcome: end }, seconds);
    if (end !== 'ok') {
      this.#spaceFailed(spaceId);
      return;
    }
    this.#spaceRecovered(spaceId);
    if (!status) return;
    for (const change of PAGE_CHANGES) if (status.push[change] > 0) this.#pages.inc({ change }, status.push[change]);
    if (status.push.deferred > 0) this.#deferredDeletes.inc(status.push.deferred);
    if (status.pull.conflicts > 0) this.#conflicts.inc(status.pull.conflicts);
  }

  lockAttempted(result: LockAttempt, seconds: number): void {
    this.#lockAcquire.observe({ result }, seconds);
    if (result === 'acquired') this.#lockHolds.inc();
  }

  lockLost(reason: string): void {
    this.#lockLosses.inc({ reason });
  }

  unavailable(reason: UnavailableReason): void {
    this.#unavailable.inc({ reason });
  }

  pushAccepted(): void {
    this.#pushes.inc({ result: 'accepted', reason: '' });
  }

  /** `reason`: a backend failure (`too-large`, `deadline`, ...), `busy`, or an auth answer (`unauthorized`, `forbidden`, `throttled`). */
  pushRefused(reason: string): void {
    this.#pushes.inc({ result: 'refused', reason });
  }

  authFailed(): void {
    this.#authFailures.inc();
  }

  authThrottled(): void {
    this.#authThrottled.inc();
  }

  workTreeOverlap(): void {
    this.#overlaps.inc();
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #spaceFailed(spaceId: string): void {
    const count = (this.#failing.get(spaceId) ?? 0) + 1;
    this.#failing.set(spaceId, count);
    this.#spacesFailing.set(this.#failing.size);
    if (!this.#spaceFailures) return;
    // A series once given stays until its space recovers; past the cap, new failing spaces get none.
    if (!this.#labelled.has(spaceId) && this.#labelled.size >= this.#maxSpaceSeries) return;
    this.#labelled.add(spaceId);
    this.#spaceFailures.set({ space_id: spaceId }, count);
  }

  #spaceRecovered(spaceId: string): void {
    if (!this.#failing.delete(spaceId)) return;
    this.#spacesFailing.set(this.#failing.size);
    if (this.#labelled.delete(spaceId)) this.#spaceFailures?.remove({ space_id: spaceId });
  }
}
