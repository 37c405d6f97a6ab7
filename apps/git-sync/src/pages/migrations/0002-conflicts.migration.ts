import { type Kysely, type Migration, sql } from 'kysely';

/** Where a merge let `main` win a hunk the wiki had also changed: the wiki's text is kept here, never dropped. */
export const conflicts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('conflicts')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('space_id', 'uuid', (c) => c.notNull().references('spaces.id').onDelete('cascade'))
      // No foreign key: the page may be deleted later, and the record must outlive it.
      .addColumn('page_id', 'uuid')
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('base', 'text')
      .addColumn('wiki', 'text')
      .addColumn('git', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('dismissed_at', 'timestamptz')
      .execute();
    await db.schema
      .createIndex('conflicts_space_open_idx')
      .on('conflicts')
      .columns(['space_id', 'created_at'])
      .where(sql.ref('dismissed_at'), 'is', null)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('conflicts').execute();
  },
};
