/**
 * Every piece of time arithmetic the lock does, kept in one place so the
 * safety margins can be read (and reviewed) together.
 */

/**
 * Heartbeat period. A third of the TTL leaves two more chances to refresh
 * before the key expires if one refresh is slow or lost. The floor of 1 ms
 * keeps `setInterval` from spinning on tiny TTLs; it is part of the wire
 * contract, since peers expect refreshes at this cadence.
 */
export function refreshIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

/**
 * The clock of every deadline the lock keeps: monotonic, so setting the wall
 * clock (NTP step, a VM resumed, an operator) neither ends a lease early nor,
 * worse, stretches it past the key's expiry. Read through `performance` on
 * each call, so test fake timers can drive it.
 */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * Time Node may take to run a timer after it is due, on a busy machine: a
 * busy event loop (GC, a long synchronous stretch in fn or elsewhere, other
 * processes on few cores). The abort is only as early as its timer is
 * punctual, so the margin has to cover this, not just clock error. On a
 * loaded 2-core machine (load average 4 to 8) the process was once off the
 * CPU for about 39 ms across a deadline, which beat a 25 ms allowance; 50 ms
 * covers what was seen there, at the cost of 50 ms of each lease.
 * A stall longer than that (SIGSTOP, a swap storm) defeats any lease: that is
 * what fencing tokens are for.
 */
export const TIMER_LATENESS_MS = 50;

/**
 * Safety margin subtracted from a lease's validity, so the abort lands
 * before Redis expires the key:
 * - 1% of the TTL for the two clocks running at different rates (this host's
 *   monotonic clock, and the clock Redis computes expiry with);
 * - 2 ms for Redis's own expiry precision (it stores and compares
 *   milliseconds, and checks a key against the time its command started);
 * - `TIMER_LATENESS_MS` for the abort timer running late.
 *
 * Safety over lease length: a TTL shorter than this margin cannot be held
 * safely at all, and such a hold is told so at once (`expired`).
 */
export function driftMs(ttlMs: number): number {
  return Math.floor(ttlMs * 0.01) + 2 + TIMER_LATENESS_MS;
}

/**
 * Until when (on `monotonicNow`) this process may assume it still holds the
 * key. Measured from the moment the SET or PEXPIRE was *sent*, not answered:
 * Redis may have applied it at any point in between, so the send time is the
 * conservative bound.
 */
export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - driftMs(ttlMs);
}

/**
 * Exponential backoff with full jitter: a uniformly random wait in
 * [0, min(maxMs, baseMs * 2^attempt)). Full jitter spreads replicas that
 * lost the same race, so they do not collide again on the next try.
 */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
