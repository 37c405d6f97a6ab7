export class UsernameTakenError extends Error {
  readonly username: string;

  constructor(username: string) {
    super(`The username "${username}" is already taken`);
    this.name = new.target.name;
    this.username = username;
  }
}
