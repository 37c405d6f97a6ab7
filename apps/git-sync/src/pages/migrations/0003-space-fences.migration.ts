import type { Kysely, Migration } from 'kysely';

/**
 * The highest fencing token that has written to each space. A lock holder's store writes check and
 * raise it in their own transaction, so a holder paused past its lease cannot write over the pages
 * a later holder has already written.
 */
export const spaceFences: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('space_fences')
      .addColumn('space_id', 'uuid', (c) => c.primaryKey().references('spaces.id').onDelete('cascade'))
      .addColumn('token', 'bigint', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('space_fences').execute();
  },
};
