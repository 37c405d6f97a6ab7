import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { generateAccessToken, hashAccessToken } from './access-token';
import type { Database } from '../pages/database.types';
import type { AccessTokensTable, AccountsTables, SpaceRole, UsersTable } from './accounts.tables';
import { LastAdminError } from './last-admin.error';
import { UserNotFoundError } from './user-not-found.error';
import { UsernameTakenError } from './username-taken.error';
import { USERNAME_PATTERN } from '../common/auth-defaults';

export interface User {
  id: string;
  username: string;
  /** Admins manage users, tokens, spaces and membership, and may read and write every space. */
  admin: boolean;
  createdAt: Date;
}

export interface IssuedToken {
  id: string;
  userId: string;
  name: string;
  expiresAt: Date | null;
  /** The only time the token itself is available: it is stored hashed. */
  token: string;
}

/** What may be shown about a token: never the secret, which is not stored. */
export interface AccessTokenInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

/** Who a token belongs to, and which token it was. */
export interface TokenOwner {
  user: User;
  tokenId: string;
}

export interface Membership {
  spaceId: string;
  userId: string;
  username: string;
  role: SpaceRole;
}

// Postgres unique_violation; PGlite reports the same SQLSTATE.
const UNIQUE_VIOLATION = '23505';

const toUser = (row: Selectable<UsersTable>): User => ({
  id: row.id,
  username: row.username,
  admin: row.is_admin,
  createdAt: row.created_at,
});
const toTokenInfo = (row: Selectable<AccessTokensTable>): AccessTokenInfo => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
});

/**
 * Users, access tokens and space membership, in the page store's database.
 * Usernames are compared without regard to case everywhere, and the database
 * enforces it with a unique index on `lower(username)`.
 */
export class AccountStore {
  private readonly db: Kysely<Database & AccountsTables>;

  /** Takes the page store's database: the accounts tables live beside spaces, which memberships reference. */
  constructor(db: Kysely<Database>) {
    this.db = db.withTables<AccountsTables>();
  }

  async createUser(username: string, options: { admin?: boolean } = {}): Promise<User> {
    if (!USERNAME_PATTERN.test(username)) {
      throw new TypeError(`Expected \`username\` to match ${USERNAME_PATTERN}, got ${JSON.stringify(username)}`);
    }
    try {
      const row = await this.db
        .insertInto('users')
        .values({ id: randomUUID(), username, is_admin: options.admin ?? false })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new UsernameTakenError(username);
      throw err;
    }
  }

  async getUser(userId: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    return row && toUser(row);
  }

  async findUserByName(username: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where(sql`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(toUser);
  }

  /** Grants or withdraws admin; refuses to withdraw it from the last admin. */
  async setAdmin(userId: string, admin: boolean): Promise<User> {
    return this.db.transaction().execute(async (trx) => {
      // Locking every admin row serializes concurrent demotions, so two of them cannot both see "another admin remains".
      const admins = await trx.selectFrom('users').select('id').where('is_admin', '=', true).forUpdate().execute();
      if (!admin && admins.length === 1 && admins[0].id === userId) throw new LastAdminError(userId);
      const row = await trx
        .updateTable('users')
        .set({ is_admin: admin })
        .where('id', '=', userId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new UserNotFoundError(userId);
      return toUser(row);
    });
  }

  /** Deletes the user, their tokens (revoked first, so no request can use one mid-way) and their memberships. */
  async deleteUser(userId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const admins = await trx.selectFrom('users').select('id').where('is_admin', '=', true).forUpdate().execute();
      if (admins.length === 1 && admins[0].id === userId) throw new LastAdminError(userId);
      await trx
        .updateTable('access_tokens')
        .set({ revoked_at: sql`now()` })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      const deleted = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw new UserNotFoundError(userId);
    });
  }

  /** `expiresAt`: when the token stops working; none means never. */
  async issueToken(userId: string, name: string, expiresAt: Date | null = null): Promise<IssuedToken> {
    if (!(await this.getUser(userId))) throw new UserNotFoundError(userId);
    const token = generateAccessToken();
    const id = randomUUID();
    await this.db
      .insertInto('access_tokens')
      // As text, which every driver takes: PGlite tells dates by instanceof, which a Date from another realm fails.
      .values({
        id,
        user_id: userId,
        name,
        token_hash: hashAccessToken(token),
        expires_at: expiresAt?.toISOString() ?? null,
      })
      .execute();
    return { id, userId, name, expiresAt, token };
  }

  /** The user's tokens that are not revoked, expired ones included so that they can be found and cleaned up. */
  async listTokens(userId: string): Promise<AccessTokenInfo[]> {
    if (!(await this.getUser(userId))) throw new UserNotFoundError(userId);
    const rows = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toTokenInfo);
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
   * Who a live (not revoked, not expired) token belongs to, or undefined.
   * The token is looked up by its hash, so no stored secret is ever compared
   * in process memory. Records the token's last use.
   */
  async authenticateToken(token: string): Promise<TokenOwner | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('users', 'users.id', 'access_tokens.user_id')
      .selectAll('users')
      .select('access_tokens.id as tokenId')
      .where('access_tokens.token_hash', '=', hashAccessToken(token))
      .where('access_tokens.revoked_at', 'is', null)
      .where((eb) =>
        eb.or([eb('access_tokens.expires_at', 'is', null), eb('access_tokens.expires_at', '>', sql<Date>`now()`)]),
      )
      .executeTakeFirst();
    if (!row) return undefined;
    // At most one write a minute per token: every git and API request authenticates, and "last used" needs no finer grain.
    await this.db
      .updateTable('access_tokens')
      .set({ last_used_at: sql`now()` })
      .where('id', '=', row.tokenId)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]),
      )
      .execute();
    return { user: toUser(row), tokenId: row.tokenId };
  }

  /** The user that `username` (any case) + `token` authenticate, or undefined. */
  async authenticate(username: string, token: string): Promise<User | undefined> {
    const owner = await this.authenticateToken(token);
    if (!owner || owner.user.username.toLowerCase() !== username.toLowerCase()) return undefined;
    return owner.user;
  }

  /**
   * Makes sure `username` exists and is an admin, and that a token with
   * `tokenHash` belongs to them: the operator's way in on a fresh deployment
   * without any token being printed. Idempotent, so every replica may run it
   * at every start; a token revoked since stays revoked.
   */
  async ensureAdmin(username: string, tokenHash: string): Promise<User> {
    const existing = await this.findUserByName(username);
    let user: User;
    if (!existing) {
      try {
        user = await this.createUser(username, { admin: true });
      } catch (err) {
        // Another replica created it first.
        if (!(err instanceof UsernameTakenError)) throw err;
        user = await this.setAdmin((await this.findUserByName(username))!.id, true);
      }
    } else {
      user = existing.admin ? existing : await this.setAdmin(existing.id, true);
    }
    await this.db
      .insertInto('access_tokens')
      .values({ id: randomUUID(), user_id: user.id, name: 'bootstrap', token_hash: tokenHash })
      .onConflict((oc) => oc.column('token_hash').doNothing())
      .execute();
    return user;
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

  /** The spaces a user is a member of. */
  async listSpaceIds(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('space_members').select('space_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.space_id);
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
