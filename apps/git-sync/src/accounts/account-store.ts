import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { generateAccessToken, hashAccessToken } from './access-token';
import type { Database } from '../pages/database.types';
import type { AccountsTables, SpaceRole } from './accounts.tables';
import { UserNotFoundError } from './user-not-found.error';
import { UsernameTakenError } from './username-taken.error';

export interface User {
  id: string;
  username: string;
  createdAt: Date;
}

export interface IssuedToken {
  id: string;
  userId: string;
  name: string;
  /** The only time the token itself is available: it is stored hashed. */
  token: string;
}

export interface Membership {
  spaceId: string;
  userId: string;
  username: string;
  role: SpaceRole;
}

/** Letters, digits, `.`, `_`, `-`: never a `:`, which would split an HTTP Basic credential. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// Postgres unique_violation; PGlite reports the same SQLSTATE.
const UNIQUE_VIOLATION = '23505';

/** Users, access tokens and space membership, in the page store's database. */
export class AccountStore {
  private readonly db: Kysely<Database & AccountsTables>;

  /** Takes the page store's database: the accounts tables live beside spaces, which memberships reference. */
  constructor(db: Kysely<Database>) {
    this.db = db.withTables<AccountsTables>();
  }

  async createUser(username: string): Promise<User> {
    if (!USERNAME_PATTERN.test(username)) {
      throw new TypeError(`Expected \`username\` to match ${USERNAME_PATTERN}, got ${JSON.stringify(username)}`);
    }
    try {
      const row = await this.db
        .insertInto('users')
        .values({ id: randomUUID(), username })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { id: row.id, username: row.username, createdAt: row.created_at };
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new UsernameTakenError(username);
      throw err;
    }
  }

  async getUser(userId: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    return row && { id: row.id, username: row.username, createdAt: row.created_at };
  }

  async findUserByName(username: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && { id: row.id, username: row.username, createdAt: row.created_at };
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map((row) => ({ id: row.id, username: row.username, createdAt: row.created_at }));
  }

  async issueToken(userId: string, name: string): Promise<IssuedToken> {
    if (!(await this.getUser(userId))) throw new UserNotFoundError(userId);
    const token = generateAccessToken();
    const id = randomUUID();
    await this.db.insertInto('access_tokens').values({ id, user_id: userId, name, token_hash: hashAccessToken(token) }).execute();
    return { id, userId, name, token };
  }

  async revokeToken(userId: string, tokenId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: sql`now()` })
      .where('id', '=', tokenId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * The user that `username` + `token` authenticate, or undefined. The token
   * is looked up by its hash, so no stored secret is ever compared in
   * process memory.
   */
  async authenticate(username: string, token: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('users', 'users.id', 'access_tokens.user_id')
      .select(['users.id as userId', 'users.username', 'users.created_at as createdAt', 'access_tokens.id as tokenId'])
      .where('access_tokens.token_hash', '=', hashAccessToken(token))
      .where('access_tokens.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row || row.username !== username) return undefined;
    await this.db.updateTable('access_tokens').set({ last_used_at: sql`now()` }).where('id', '=', row.tokenId).execute();
    return { id: row.userId, username: row.username, createdAt: row.createdAt };
  }

  async setMembership(spaceId: string, userId: string, role: SpaceRole): Promise<void> {
    if (!(await this.getUser(userId))) throw new UserNotFoundError(userId);
    await this.db
      .insertInto('space_members')
      .values({ space_id: spaceId, user_id: userId, role })
      .onConflict((oc) => oc.columns(['space_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async removeMembership(spaceId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('space_members')
      .where('space_id', '=', spaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async getRole(spaceId: string, userId: string): Promise<SpaceRole | undefined> {
    const row = await this.db
      .selectFrom('space_members')
      .select('role')
      .where('space_id', '=', spaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async listMembers(spaceId: string): Promise<Membership[]> {
    const rows = await this.db
      .selectFrom('space_members')
      .innerJoin('users', 'users.id', 'space_members.user_id')
      .select(['space_members.space_id as spaceId', 'users.id as userId', 'users.username', 'space_members.role'])
      .where('space_members.space_id', '=', spaceId)
      .orderBy('users.username')
      .execute();
    return rows;
  }
}
