import type { CycleStatus } from './cycle-status';

/** What a holder of a space's lock passes on to the work it does under it. */
export interface LockScope {
  /** Aborts when the lock is lost; the work should stop writing as soon as it sees that. */
  readonly signal: AbortSignal;
  /**
   * The hold's fencing token when the lock runs with fencing (with Redis), to pass along with every
   * write so the resource can refuse a stale holder. Undefined with the in-memory lock.
   */
  readonly fencingToken?: number;
}

/** Runs one pull-then-push cycle of a space. The engine's `SyncEngine` fits. */
export interface CycleRunner {
  /** Called only while the space's lock is held. */
  runCycle(spaceId: string, options: LockScope): Promise<CycleStatus>;
}

export const CYCLE_RUNNER = Symbol('CYCLE_RUNNER');
