import { type Kysely, type Migration, Migrator } from 'kysely';
import { currentSchema } from '../../pages/database';
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
// `any`: the migrator needs only a connection, and Kysely is invariant in its schema type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateAccounts(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => accountMigrations },
    migrationTableName: 'accounts_migration',
    migrationLockTableName: 'accounts_migration_lock',
    migrationTableSchema: await currentSchema(db),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AccountsMigrationError(failed, error);
  }
}

export class AccountsMigrationError extends Error {
  readonly migrationName: string;

  constructor(migrationName: string, cause: unknown) {
    super(`Accounts migration "${migrationName}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = new.target.name;
    this.migrationName = migrationName;
  }
}
