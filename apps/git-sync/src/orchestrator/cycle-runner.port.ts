import type { CycleStatus } from './cycle-status';

/** Runs one pull-then-push cycle of a space. The engine's `SyncEngine` fits. */
export interface CycleRunner {
  /**
   * Called only while the space's lock is held. `signal` aborts when the lock
   * is lost; the runner should stop writing as soon as it sees that.
   */
  runCycle(spaceId: string, options: { signal: AbortSignal }): Promise<CycleStatus>;
}

export const CYCLE_RUNNER = Symbol('CYCLE_RUNNER');
