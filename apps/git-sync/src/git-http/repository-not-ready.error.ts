/**
 * A clone or fetch of a space whose repository is still being created, and
 * stayed so for the whole read wait. Nothing was served; the client may retry.
 */
export class RepositoryNotReadyError extends Error {
  readonly spaceId: string;
  readonly waitedMs: number;

  constructor(details: { spaceId: string; waitedMs: number }) {
    super(`The repository of space "${details.spaceId}" is not ready yet; gave up after ${details.waitedMs} ms`);
    this.name = new.target.name;
    this.spaceId = details.spaceId;
    this.waitedMs = details.waitedMs;
  }
}
