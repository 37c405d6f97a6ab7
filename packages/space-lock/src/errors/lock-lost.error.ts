/**
 * Why a holder stopped owning its lock while its critical section was still running.
 * - `not-owner`: a heartbeat found the key gone or owned by another instance.
 * - `expired`: heartbeats kept failing until the lease's TTL ran out, so another
 *   replica may already hold it.
 * - `closed`: `close()` released the lock after its grace period, under a running fn.
 */
export type LockLostReason = 'not-owner' | 'expired' | 'closed';

/** The reason of `ctx.signal` when the lock is lost under a running critical section. */
export class LockLostError extends Error {
  readonly spaceId: string;
  readonly key: string;
  readonly instanceId: string;
  readonly reason: LockLostReason;

  constructor(details: { spaceId: string; key: string; instanceId: string; reason: LockLostReason }) {
    super(`Lost the lock on space "${details.spaceId}" (${details.reason})`);
    this.name = new.target.name;
    this.spaceId = details.spaceId;
    this.key = details.key;
    this.instanceId = details.instanceId;
    this.reason = details.reason;
  }
}
