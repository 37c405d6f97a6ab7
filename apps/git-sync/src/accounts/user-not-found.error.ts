export class UserNotFoundError extends Error {
  readonly userId: string;

  constructor(userId: string) {
    super(`No user with id ${userId}`);
    this.name = new.target.name;
    this.userId = userId;
  }
}
