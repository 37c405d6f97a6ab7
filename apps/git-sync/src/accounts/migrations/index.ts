import type { Migration } from 'kysely';
import { accounts } from './0100-accounts.migration';

/**
 * The accounts feature's migrations. Numbered from 0100 so they sort after the
 * page store's (which they reference) in the one migration history the app runs.
 */
export const accountMigrations: Record<string, Migration> = {
  '0100-accounts': accounts,
};
