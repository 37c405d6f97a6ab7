export interface PullStatus {
  /** Files added or rewritten on the mirror branch from the store. */
  written: number;
  /** Files removed from the mirror branch because their page is gone from the store. */
  deleted: number;
  /** Paths where the store and `main` disagreed; each resolved to the `main` side. */
  conflicts: number;
}

export interface PushStatus {
  /** Pages created (or restored) from files on `main`. */
  created: number;
  /** Pages whose content was replaced from `main`. */
  updated: number;
  /** Pages soft-deleted because their file left `main`. */
  deleted: number;
  /** Pages whose parent changed because their file moved to another directory. */
  moved: number;
  /** Pages whose title changed because their file was renamed. */
  renamed: number;
  /** Changes that could not be applied; while any remain, `last-pushed` stays put and they are retried. */
  failures: number;
  /** Deletes held back by the per-cycle cap; they are kept and retried next cycle. */
  deferred: number;
  /** Pushed files not applied to their page (conflict markers); applied once a fixed version is pushed. */
  heldBack: number;
}

export interface CycleStatus {
  pull: PullStatus;
  push: PushStatus;
  /** Commits the cycle created (mirror, merge, id write-back). */
  commits: number;
}

/** Points between steps where the cycle has reached a consistent state. */
export type CycleStep = 'recovered' | 'pulled' | 'merged' | 'pushed' | 'ids-written' | 'advanced' | 'settled';

export interface RunCycleOptions {
  /**
   * Checked between steps and before every store write, and passed to every git command, which it
   * kills: an aborted signal stops the cycle with CycleAbortedError (or GitAbortedError mid-command).
   */
  signal?: AbortSignal;
  /**
   * The lock's fencing token. Every store write of the cycle carries it, and is refused with
   * StaleFencingTokenError once a higher token has written to the space. Without it (the in-memory
   * lock of a single replica) writes are unfenced.
   */
  fencingToken?: number;
  /** Who runs the cycle (the lock's instance id); its cycle marker is removed only by it. @default one id per engine */
  owner?: string;
}

export function emptyCycleStatus(): CycleStatus {
  return {
    pull: { written: 0, deleted: 0, conflicts: 0 },
    push: { created: 0, updated: 0, deleted: 0, moved: 0, renamed: 0, failures: 0, deferred: 0, heldBack: 0 },
    commits: 0,
  };
}
