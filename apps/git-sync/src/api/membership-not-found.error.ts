export class MembershipNotFoundError extends Error {
  constructor(
    readonly spaceId: string,
    readonly userId: string,
  ) {
    super(`user ${userId} is not a member of space ${spaceId}`);
    this.name = new.target.name;
  }
}
