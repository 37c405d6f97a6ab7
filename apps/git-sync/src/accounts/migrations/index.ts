import type { Kysely, Migration } from 'kysely';
import { migrateToLatest } from '../../pages/database';
import { accounts } from './0100-accounts.migration';
import { adminsAndExpiry } from './0101-admins-and-expiry.migration';

/**
 * The accounts feature's migrations. Numbered from 0100 so they sort after the
 * page store's (which they reference) in the one migration history the app runs.
 */
export const accountMigrations: Record<string, Migration> = {
  '0100-accounts': accounts,
  '0101-admins-and-expiry': adminsAndExpiry,
};

/**
 * Runs the accounts migrations with a history table of their own, so this
 * feature's schema evolves independently of the page store's; it must run
 * after the page store's migrations, whose `spaces` table it references.
 */
export async function migrateAccounts<DB>(db: Kysely<DB>): Promise<void> {
  await migrateToLatest(db, accountMigrations, {
    migrationTableName: 'accounts_migration',
    migrationLockTableName: 'accounts_migration_lock',
  });
}
