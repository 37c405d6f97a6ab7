/**
 * A push could not get the space's lock within its wait: another cycle or
 * push (here or on another replica) owns the space. Receive-pack was not run,
 * so the client may safely retry.
 */
export class GitSyncLockHeldError extends Error {
  readonly spaceId: string;
  /** The lock's skip: `in-progress` (this replica) or `lock-held` (another holder). */
  readonly reason: 'in-progress' | 'lock-held';
  /** How long acquisition was retried before giving up. */
  readonly waitedMs: number;

  constructor(details: { spaceId: string; reason: 'in-progress' | 'lock-held'; waitedMs: number }) {
    super(`Space "${details.spaceId}" is busy (${details.reason}); gave up after ${details.waitedMs} ms`);
    this.name = new.target.name;
    this.spaceId = details.spaceId;
    this.reason = details.reason;
    this.waitedMs = details.waitedMs;
  }
}
