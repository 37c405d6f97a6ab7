/** Two cycles were inside one space's working tree at once: the single-writer guarantee was broken. */
export class WorkTreeOverlapError extends Error {
  readonly spaceId: string;
  readonly otherHolder: string;

  constructor(spaceId: string, otherHolder: string) {
    super(`Another cycle (${otherHolder}) is inside the working tree of space ${spaceId}`);
    this.name = new.target.name;
    this.spaceId = spaceId;
    this.otherHolder = otherHolder;
  }
}
