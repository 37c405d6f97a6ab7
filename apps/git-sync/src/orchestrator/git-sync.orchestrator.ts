import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { isSpaceLockSkip, LockLostError, type SpaceLockSkip } from 'space-lock';
import { SpaceLockService } from 'space-lock/nestjs';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { CYCLE_RUNNER, type CycleRunner, type LockScope } from './cycle-runner.port';
import type {
  CycleStatus,
  CycleTrigger,
  GitSyncStatus,
  RunOnceResult,
  RunOnceSkip,
  SpaceSyncRecord,
} from './cycle-status';
import { GitSyncLockHeldError } from './git-sync-lock-held.error';
import { PUSH_WAITERS, type PushWaiters } from './push-waiters.port';
import { SPACE_DIRECTORY, type SpaceDirectory } from './space-directory.port';
import { SYNC_METRICS, type SyncMetrics } from './sync-metrics.port';

// A push waits for a busy space with short backoffs: a sync cycle usually
// ends within a second or two, and the client is waiting on the line. Once
// its marker is up, cycles step aside, so only other pushes compete with it
// and a short cap keeps a freed space from sitting idle.
const PUSH_RETRY_BASE_MS = 25;
const PUSH_RETRY_MAX_MS = 250;
// The marker outlives the wait by this much, so it cannot lapse between the
// last attempt's announce and its SET NX on a loaded machine.
const WAITER_MARKER_SLACK_MS = 1_000;

export interface ExclusiveOptions {
  /** How long to wait for a busy space. @default the configured `pushLockWaitMs` */
  readonly waitMs?: number;
}

/** Skips after which a debounced edit is tried again: the space was busy, not off. */
const BUSY_SKIPS: ReadonlySet<RunOnceSkip> = new Set<RunOnceSkip>(['yielded', 'lock-held', 'in-progress']);

/** The parts of the lock's context the work under it needs; the signal is read only here, where it is used. */
function scopeOf(ctx: { readonly signal: AbortSignal; readonly fencingToken?: number }): LockScope {
  return { signal: ctx.signal, fencingToken: ctx.fencingToken };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Decides when a space is synced and makes sure only one writer touches it:
 * every cycle and every push runs inside `SpaceLockService.withSpaceLock`,
 * which is this class's only contact with the lock.
 */
@Injectable()
export class GitSyncOrchestrator implements OnModuleInit, OnModuleDestroy {
  readonly #logger = new Logger(GitSyncOrchestrator.name);
  readonly #last = new Map<string, SpaceSyncRecord>();
  readonly #debounces = new Map<string, NodeJS.Timeout>();
  #pollTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly locks: SpaceLockService,
    @Inject(CYCLE_RUNNER) private readonly runner: CycleRunner,
    @Inject(SPACE_DIRECTORY) private readonly directory: SpaceDirectory,
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Inject(PUSH_WAITERS) private readonly waiters: PushWaiters,
    @Optional() @Inject(SYNC_METRICS) private readonly metrics?: SyncMetrics,
  ) {}

  /**
   * One cycle for the space if it is free right now. Never throws, and never
   * waits for a busy space: the next poll or trigger will come round again.
   */
  runOnce(spaceId: string): Promise<RunOnceResult> {
    return this.#runOnce(spaceId, 'manual');
  }

  /**
   * Serves a push: runs `runReceivePack` under the space's lock, and then,
   * still holding it, a cycle so the pushed commits reach the pages at once.
   * Resolves with receive-pack's result even when that cycle fails, since the
   * push is already durable in git and the poll loop will reconcile it.
   *
   * `runReceivePack` gets the lock's signal, which aborts when the lock is
   * lost; it must then kill whatever is writing to the repository. The cycle
   * after it carries the hold's fencing token.
   *
   * `onCycle` gets that cycle's result, still under the lock.
   *
   * @throws GitSyncLockHeldError when the space stays busy for
   *   `pushLockWaitMs`; `runReceivePack` has not run.
   */
  async ingestExternalPush<T>(
    spaceId: string,
    runReceivePack: (signal: AbortSignal) => Promise<T>,
    onCycle?: (result: RunOnceResult) => void,
  ): Promise<T> {
    return this.runExclusive(spaceId, async (signal, scope) => {
      const pushed = await runReceivePack(signal);
      const result = await this.#cycleAfterPush(spaceId, scope);
      if (result) onCycle?.(result);
      return pushed;
    });
  }

  /**
   * Runs `fn` under the space's lock with the same bounded wait as a push,
   * for work that must not interleave with a cycle, such as advertising the
   * refs a push will be based on. While it waits, a marker tells cycles on
   * every replica to step aside (`yielded`), so polling cannot starve it.
   * `fn` gets the lock's signal, and the whole scope (with the fencing token)
   * as a second argument.
   *
   * @throws GitSyncLockHeldError when the space stays busy; `fn` has not run.
   */
  async runExclusive<T>(
    spaceId: string,
    fn: (signal: AbortSignal, scope: LockScope) => Promise<T>,
    options: ExclusiveOptions = {},
  ): Promise<T> {
    const waitMs = options.waitMs ?? this.config.pushLockWaitMs;
    const startedAt = performance.now();
    const deadline = startedAt + waitMs;
    const waiterId = randomUUID();
    let announced = false;
    try {
      for (let attempt = 0; ; attempt++) {
        const out = await this.#withLock(spaceId, fn);
        if (!isSpaceLockSkip(out)) return out;
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          const error = new GitSyncLockHeldError({
            spaceId,
            reason: out.skipped,
            waitedMs: Math.round(performance.now() - startedAt),
          });
          this.#logger.warn({
            msg: 'exclusive access refused: space busy',
            spaceId,
            reason: out.skipped,
            waitedMs: error.waitedMs,
          });
          throw error;
        }
        // Re-announced on every attempt: another waiter's withdrawal may have taken the marker down.
        announced = (await this.#announce(spaceId, waiterId, remaining + WAITER_MARKER_SLACK_MS)) || announced;
        const backoff = Math.min(PUSH_RETRY_MAX_MS, PUSH_RETRY_BASE_MS * 2 ** Math.min(attempt, 10));
        await delay(Math.min(remaining, Math.random() * backoff));
      }
    } finally {
      if (announced)
        await this.waiters
          .withdraw(spaceId, waiterId)
          .catch((err: unknown) => this.#waiterFailure('withdraw', spaceId, err));
    }
  }

  /**
   * Runs the first cycle of a space that was just created, under its lock,
   * so that its repository exists before anyone reads it: clones and fetches
   * then never need the lock. A failure is logged and left to the first read,
   * which creates the repository itself.
   */
  async provision(spaceId: string): Promise<RunOnceResult> {
    if (!this.config.enabled) return { spaceId, ran: false, skipped: 'disabled' };
    let result: RunOnceResult;
    try {
      result = await this.runExclusive(spaceId, (_signal, scope) => this.#cycle(spaceId, 'create', scope));
    } catch (err) {
      result = { spaceId, ran: !(err instanceof GitSyncLockHeldError), error: messageOf(err) };
      this.#logger.warn({
        msg: 'first cycle of a new space did not run or failed; its first read will create the repository',
        spaceId,
        err,
      });
    }
    this.#record('create', result);
    return result;
  }

  async #announce(spaceId: string, waiterId: string, ttlMs: number): Promise<boolean> {
    try {
      await this.waiters.announce(spaceId, waiterId, ttlMs);
      return true;
    } catch (err) {
      // Priority is best effort: without the marker the push still waits, it just may lose to a poll.
      this.#waiterFailure('announce', spaceId, err);
      return false;
    }
  }

  #waiterFailure(op: 'announce' | 'withdraw' | 'check', spaceId: string, err: unknown): void {
    this.#logger.warn({ msg: `push waiter marker: ${op} failed`, spaceId, err });
  }

  /**
   * Runs `runOnce` for the space once `debounceMs` have passed without
   * another call for it; each call restarts that space's wait.
   */
  schedule(spaceId: string): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounces.get(spaceId));
    const timer = setTimeout(() => {
      this.#debounces.delete(spaceId);
      void this.#runOnce(spaceId, 'debounce').then((result) => {
        // The edit that scheduled this is not in git yet, and a cycle that
        // started before it, or a push that gave up, may never carry it there.
        if (result.skipped !== undefined && BUSY_SKIPS.has(result.skipped) && !this.#debounces.has(spaceId))
          this.schedule(spaceId);
      });
    }, this.config.debounceMs);
    timer.unref();
    this.#debounces.set(spaceId, timer);
  }

  /** The configuration in effect and the last result for each space. */
  getStatus(): GitSyncStatus {
    const { enabled, pollIntervalMs, debounceMs, backendTimeoutMs, pushLockWaitMs } = this.config;
    return {
      config: { enabled, pollIntervalMs, debounceMs, backendTimeoutMs, pushLockWaitMs },
      spaces: [...this.#last.values()],
    };
  }

  onModuleInit(): void {
    this.#stopped = false;
    if (this.config.pollIntervalMs > 0) this.#schedulePoll();
  }

  /**
   * Stops the poll loop and pending debounces. A cycle already running is
   * left to finish: the lock's shutdown waits for it with a grace period.
   */
  onModuleDestroy(): void {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    for (const timer of this.#debounces.values()) clearTimeout(timer);
    this.#debounces.clear();
  }

  // The next tick is armed only after the previous one has finished, so
  // ticks never overlap however long a cycle takes.
  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      void this.#pollTick().finally(() => this.#schedulePoll());
    }, this.config.pollIntervalMs);
    this.#pollTimer.unref();
  }

  async #pollTick(): Promise<void> {
    if (!this.config.enabled) return;
    let spaceIds: string[];
    try {
      spaceIds = await this.directory.listGitSyncEnabledSpaceIds();
    } catch (err) {
      this.#logger.error({ msg: 'poll: listing git-sync spaces failed', err });
      return;
    }
    // One space at a time keeps a replica's load flat however many spaces it serves.
    for (const spaceId of spaceIds) {
      if (this.#stopped) return;
      await this.#runOnce(spaceId, 'poll');
    }
  }

  async #runOnce(spaceId: string, trigger: CycleTrigger): Promise<RunOnceResult> {
    let ran = false;
    let result: RunOnceResult;
    try {
      if (!this.config.enabled) {
        result = { spaceId, ran, skipped: 'disabled' };
      } else if (!(await this.directory.isGitSyncEnabled(spaceId))) {
        result = { spaceId, ran, skipped: 'space-not-enabled' };
      } else if (await this.#pushIsWaiting(spaceId)) {
        // The push's own cycle, run right after it, carries whatever this one would have.
        result = { spaceId, ran, skipped: 'yielded' };
      } else {
        const out = await this.#withLock(spaceId, (_signal, scope) => {
          ran = true;
          return this.#cycle(spaceId, trigger, scope);
        });
        result = isSpaceLockSkip(out) ? { spaceId, ran, skipped: out.skipped } : out;
      }
    } catch (err) {
      result = { spaceId, ran, error: messageOf(err) };
      // A cycle that ran has logged its own failure.
      if (!ran) this.#logger.error({ msg: 'cycle could not start', spaceId, trigger, err });
    }
    if (result.skipped !== undefined)
      this.#logger.debug({ msg: 'cycle skipped', spaceId, trigger, skipped: result.skipped });
    this.#record(trigger, result);
    return result;
  }

  /** `withSpaceLock`, timed and watched for the metrics. */
  async #withLock<T>(
    spaceId: string,
    fn: (signal: AbortSignal, scope: LockScope) => Promise<T>,
  ): Promise<T | SpaceLockSkip> {
    if (!this.metrics) return this.locks.withSpaceLock(spaceId, (ctx) => fn(ctx.signal, scopeOf(ctx)));
    const metrics = this.metrics;
    const startedAt = performance.now();
    const elapsed = () => (performance.now() - startedAt) / 1000;
    let out: T | SpaceLockSkip;
    let acquired = false;
    try {
      out = await this.locks.withSpaceLock(spaceId, async (ctx) => {
        const { signal } = ctx;
        acquired = true;
        metrics.lockAttempted('acquired', elapsed());
        const onLost = () =>
          metrics.lockLost(signal.reason instanceof LockLostError ? signal.reason.reason : 'unknown');
        signal.addEventListener('abort', onLost, { once: true });
        try {
          return await fn(signal, scopeOf(ctx));
        } finally {
          signal.removeEventListener('abort', onLost);
        }
      });
    } catch (err) {
      // An error after the acquire is fn's, and the hold is already counted.
      if (!acquired) metrics.lockAttempted('error', elapsed());
      throw err;
    }
    if (isSpaceLockSkip(out)) metrics.lockAttempted('busy', elapsed());
    return out;
  }

  async #pushIsWaiting(spaceId: string): Promise<boolean> {
    try {
      return await this.waiters.isWaiting(spaceId);
    } catch (err) {
      this.#waiterFailure('check', spaceId, err);
      return false;
    }
  }

  /** The cycle that follows a push; its failure is logged, never thrown. */
  async #cycleAfterPush(spaceId: string, scope: LockScope): Promise<RunOnceResult | undefined> {
    if (!this.config.enabled) return undefined;
    if (scope.signal.aborted) {
      this.#logger.warn({ msg: 'lock lost during push; leaving the cycle to the poll loop', spaceId });
      return undefined;
    }
    let result: RunOnceResult;
    try {
      result = await this.#cycle(spaceId, 'push', scope);
    } catch (err) {
      // Logged by #cycle; the push itself is stored in git, and the poll loop will reconcile.
      result = { spaceId, ran: true, error: messageOf(err) };
    }
    this.#record('push', result);
    return result;
  }

  /**
   * Runs one cycle under the lock already held, and logs it: the one line
   * per cycle, with its counts and duration. A cycle that changed nothing
   * is logged at debug, so idle polls stay out of an info log.
   */
  async #cycle(spaceId: string, trigger: CycleTrigger, scope: LockScope): Promise<RunOnceResult> {
    const startedAt = performance.now();
    let status: CycleStatus;
    try {
      status = await this.runner.runCycle(spaceId, scope);
    } catch (err) {
      this.#logger.error({
        msg: 'cycle failed',
        spaceId,
        trigger,
        durationMs: Math.round(performance.now() - startedAt),
        err,
      });
      throw err;
    }
    const { pull, push, commits } = status;
    const line = {
      msg: 'cycle done',
      spaceId,
      trigger,
      durationMs: Math.round(performance.now() - startedAt),
      pull,
      push,
      commits,
    };
    const idle =
      commits === 0 && Object.values(pull).every((n) => n === 0) && Object.values(push).every((n) => n === 0);
    if (idle) this.#logger.debug(line);
    else this.#logger.log(line);
    return { spaceId, ran: true, pull, push };
  }

  #record(trigger: CycleTrigger, result: RunOnceResult): void {
    this.metrics?.cycleNotRun(result);
    this.#last.set(result.spaceId, { trigger, at: new Date().toISOString(), result });
  }
}
