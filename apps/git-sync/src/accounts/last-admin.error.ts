/** The change would leave no admin, and with none nobody could manage users or spaces again. */
export class LastAdminError extends Error {
  readonly userId: string;

  constructor(userId: string) {
    super(`User ${userId} is the last admin; make another user an admin first`);
    this.name = new.target.name;
    this.userId = userId;
  }
}
