import type { RunOnceResult } from './cycle-status';

/** What the orchestrator reports to the metrics, when there are any (`SYNC_METRICS` is optional). */
export interface SyncMetrics {
  /** One attempt at a space's lock: acquired, found busy, or failed (Redis unreachable). */
  lockAttempted(result: 'acquired' | 'busy' | 'error', seconds: number): void;
  /** A held lock was lost, with the `LockLostError` reason. */
  lockLost(reason: string): void;
  /** A result whose cycle never ran (skipped, or an error before the lock). */
  cycleNotRun(result: RunOnceResult): void;
}

export const SYNC_METRICS = Symbol('SYNC_METRICS');
