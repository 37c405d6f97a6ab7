import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Admins, token expiry, and usernames unique regardless of case: `demo` and
 * `DEMO` would be two accounts that people (and Basic auth prompts) cannot
 * tell apart.
 */
export const adminsAndExpiry: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
    await db.schema.alterTable('access_tokens').addColumn('expires_at', 'timestamptz').execute();
    await db.schema
      .createIndex('users_username_lower_key')
      .on('users')
      .unique()
      .expression(sql`lower(username)`)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('users_username_lower_key').execute();
    await db.schema.alterTable('access_tokens').dropColumn('expires_at').execute();
    await db.schema.alterTable('users').dropColumn('is_admin').execute();
  },
};
