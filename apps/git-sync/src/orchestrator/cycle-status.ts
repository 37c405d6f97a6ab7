import type { CycleStatus } from '../sync/cycle-status';

export type { CycleStatus } from '../sync/cycle-status';

/**
 * Why `runOnce` did not run a cycle. `in-progress` and `lock-held` are the
 * lock's own sentinels, passed through unchanged; `yielded` means a push was
 * waiting for the space, and its own cycle does this one's work.
 */
export type RunOnceSkip = 'disabled' | 'space-not-enabled' | 'in-progress' | 'lock-held' | 'yielded';

/** The outcome of `runOnce`; never an exception. */
export interface RunOnceResult {
  readonly spaceId: string;
  /** True when a cycle was started under the lock (even if it then failed). */
  readonly ran: boolean;
  readonly skipped?: RunOnceSkip;
  readonly pull?: CycleStatus['pull'];
  readonly push?: CycleStatus['push'];
  /** The failure's message, when the directory, the lock or the cycle threw. */
  readonly error?: string;
}

/** What started a cycle; shown by the status endpoint. */
export type CycleTrigger = 'manual' | 'poll' | 'debounce' | 'push' | 'create';

export interface SpaceSyncRecord {
  readonly trigger: CycleTrigger;
  /** ISO timestamp of when the run finished. */
  readonly at: string;
  readonly result: RunOnceResult;
}

export interface GitSyncStatus {
  readonly config: {
    readonly enabled: boolean;
    readonly pollIntervalMs: number;
    readonly debounceMs: number;
    readonly backendTimeoutMs: number;
    readonly pushLockWaitMs: number;
  };
  /** The last result per space, in the order the spaces were first seen. */
  readonly spaces: readonly SpaceSyncRecord[];
}
