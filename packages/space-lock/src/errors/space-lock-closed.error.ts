/** Thrown by `withSpaceLock` once `close()` has begun: the instance takes no new work. */
export class SpaceLockClosedError extends Error {
  readonly instanceId: string;
  readonly spaceId: string;

  constructor(details: { instanceId: string; spaceId: string }) {
    super(`SpaceLock ${details.instanceId} is closed; cannot lock space "${details.spaceId}"`);
    this.name = new.target.name;
    this.instanceId = details.instanceId;
    this.spaceId = details.spaceId;
  }
}
