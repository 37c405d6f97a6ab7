/** No live token with this id belongs to the user (never issued, someone else's, or already revoked). */
export class AccessTokenNotFoundError extends Error {
  constructor(
    readonly userId: string,
    readonly tokenId: string,
  ) {
    super(`user ${userId} has no active access token ${tokenId}`);
    this.name = new.target.name;
  }
}
