import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { accountMigrations, migrateAccounts } from '../../src/accounts';
import { openDatabase } from '../../src/pages/database';
import { DATABASE_URL } from '../support/postgres-schema';

/**
 * Several deployments (or test runs) may share one PostgreSQL database, each
 * in its own schema. Each must run its own migrations even when another
 * schema already holds migration history tables.
 */
describe('migrations in a database shared by several schemas', () => {
  const ours = `git_sync_shared_${randomBytes(5).toString('hex')}`;
  const theirs = `git_sync_other_${randomBytes(5).toString('hex')}`;
  let admin: Pool;

  beforeAll(async () => {
    admin = new Pool({ connectionString: DATABASE_URL, max: 1 });
    // Another deployment's migration history, in another schema, created first.
    await admin.query(`create schema "${theirs}"`);
    for (const table of [
      'kysely_migration',
      'kysely_migration_lock',
      'accounts_migration',
      'accounts_migration_lock',
    ]) {
      await admin.query(`create table "${theirs}"."${table}" (id text)`);
    }
  });

  afterAll(async () => {
    await admin.query(`drop schema if exists "${ours}" cascade`);
    await admin.query(`drop schema if exists "${theirs}" cascade`);
    await admin.end();
  });

  it('creates its own history tables and applies every migration in its own schema', async () => {
    const handle = await openDatabase({ databaseUrl: DATABASE_URL, schema: ours });
    try {
      await migrateAccounts(handle.db);
      const { rows } = await admin.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
        [ours],
      );
      const tables = rows.map((r) => r.table_name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'spaces',
          'pages',
          'kysely_migration',
          'users',
          'access_tokens',
          'space_members',
          'accounts_migration',
        ]),
      );
      const applied = await admin.query<{ name: string }>(`select name from "${ours}".accounts_migration`);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(accountMigrations));
    } finally {
      await handle.close();
    }
  });
});
