import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely';

export const spacesAndPages: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('spaces')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', 'timestamptz')
      .execute();

    await db.schema
      .createTable('pages')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('space_id', 'uuid', (c) => c.notNull().references('spaces.id').onDelete('cascade'))
      // No foreign key on the parent: a soft-deleted parent keeps its children's pointer so a restore
      // brings the subtree back, and the sync engine tolerates a parent that is gone.
      .addColumn('parent_page_id', 'uuid')
      .addColumn('title', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('content', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', 'timestamptz')
      .addColumn('last_updated_source', 'text', (c) =>
        c.notNull().check(sql`last_updated_source in ('user', 'git-sync')`),
      )
      .execute();

    await db.schema
      .createIndex('pages_space_live_idx')
      .on('pages')
      .columns(['space_id', 'parent_page_id'])
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('pages').execute();
    await db.schema.dropTable('spaces').execute();
  },
};
