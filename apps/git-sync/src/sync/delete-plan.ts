export interface DeletePlanInput {
  /** Deletes held back by earlier cycles, oldest first; they go before new ones so none starves. */
  deferred: readonly string[];
  /** Deletes this cycle found. */
  requested: readonly string[];
  /** Most deletes to apply in one cycle. */
  cap: number;
}

export interface DeletePlan {
  apply: string[];
  defer: string[];
}

/**
 * Splits deletes into what runs now and what waits. Nothing is dropped: whatever exceeds the cap is
 * returned in `defer` for the next cycle, in a deterministic order.
 */
export function planDeletes({ deferred, requested, cap }: DeletePlanInput): DeletePlan {
  const queue = [...new Set([...deferred, ...[...requested].sort()])];
  const limit = Number.isFinite(cap) ? Math.max(0, Math.floor(cap)) : queue.length;
  return { apply: queue.slice(0, limit), defer: queue.slice(limit) };
}
