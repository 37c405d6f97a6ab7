import type { ColumnType } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

/** What a member may do with a space's git repository: `read` clones and fetches, `write` also pushes. */
export type SpaceRole = 'read' | 'write';

export type UsersTable = {
  id: string;
  username: string;
  /** Admins manage users, tokens, spaces and membership, and reach every space. */
  is_admin: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
};

export type AccessTokensTable = {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token. Tokens are 256-bit random, so a fast hash is enough and makes lookup by hash possible. */
  token_hash: string;
  created_at: CreatedAt;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Null: the token never expires. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
};

export type SpaceMembersTable = {
  space_id: string;
  user_id: string;
  role: SpaceRole;
  created_at: CreatedAt;
};

/** The tables the accounts feature adds to the page store's database. */
export type AccountsTables = {
  users: UsersTable;
  access_tokens: AccessTokensTable;
  space_members: SpaceMembersTable;
};
