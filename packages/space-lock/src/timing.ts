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
 * Safety margin subtracted from a lease's validity: 1% of the TTL for clock
 * drift between this process and Redis, plus 2 ms for the precision of
 * Redis's own expiry.
 */
export function driftMs(ttlMs: number): number {
  return Math.floor(ttlMs * 0.01) + 2;
}

/**
 * Until when this process may assume it still holds the key. Measured from
 * the moment the SET or PEXPIRE was *sent*, not answered: Redis may have
 * applied it at any point in between, so the send time is the conservative
 * bound.
 */
export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - driftMs(ttlMs);
}

/**
 * Exponential backoff with full jitter: a uniformly random wait in
 * [0, min(maxMs, baseMs * 2^attempt)). Full jitter spreads replicas that
 * lost the same race, so they do not collide again on the next try.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
