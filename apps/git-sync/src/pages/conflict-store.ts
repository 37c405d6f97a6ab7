import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { ConflictNotFoundError } from './conflict-not-found.error';
import type { ConflictsTable, Database } from './database.types';
import { passFence } from './space-fence';
import { assertSpaceId } from './page-store';
import { isUuid } from './uuid';

/** One recorded merge conflict, as the API shows it. */
export interface Conflict {
  id: string;
  spaceId: string;
  pageId: string | null;
  path: string;
  base: string | null;
  wiki: string | null;
  git: string | null;
  createdAt: Date;
  dismissedAt: Date | null;
}

export type NewConflict = Pick<Conflict, 'pageId' | 'path' | 'base' | 'wiki' | 'git'>;

/** The wiki's side of every hunk a merge gave to `main`, kept until someone dismisses it. */
export class ConflictStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** With `fencingToken`, refused (StaleFencingTokenError) once a higher token has written to the space. */
  async record(
    spaceId: string,
    conflicts: readonly NewConflict[],
    options: { fencingToken?: number } = {},
  ): Promise<void> {
    assertSpaceId(spaceId);
    if (conflicts.length === 0) return;
    const { fencingToken } = options;
    await this.db.transaction().execute(async (trx) => {
      if (fencingToken !== undefined) await passFence(trx, spaceId, fencingToken);
      await trx
        .insertInto('conflicts')
        .values(
          conflicts.map((c) => ({
            id: randomUUID(),
            space_id: spaceId,
            page_id: c.pageId,
            path: c.path,
            base: c.base,
            wiki: c.wiki,
            git: c.git,
          })),
        )
        .execute();
    });
  }

  /** Newest first; dismissed ones only when asked for. */
  async list(spaceId: string, options: { includeDismissed?: boolean } = {}): Promise<Conflict[]> {
    assertSpaceId(spaceId);
    let query = this.db.selectFrom('conflicts').selectAll().where('space_id', '=', spaceId);
    if (!options.includeDismissed) query = query.where('dismissed_at', 'is', null);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(toConflict);
  }

  /** Marks a conflict as dealt with; dismissing one twice keeps the first time. */
  async dismiss(spaceId: string, conflictId: string): Promise<Conflict> {
    assertSpaceId(spaceId);
    if (!isUuid(conflictId)) throw new ConflictNotFoundError(spaceId, conflictId);
    const row = await this.db
      .updateTable('conflicts')
      .set({ dismissed_at: sql`now()` as never })
      .where('space_id', '=', spaceId)
      .where('id', '=', conflictId)
      .where('dismissed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) return toConflict(row);
    const existing = await this.db
      .selectFrom('conflicts')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('id', '=', conflictId)
      .executeTakeFirst();
    if (!existing) throw new ConflictNotFoundError(spaceId, conflictId);
    return toConflict(existing);
  }

  /** Open conflicts per space, for the spaces that have any. */
  async countOpen(spaceIds: readonly string[]): Promise<Map<string, number>> {
    const ids = spaceIds.filter(isUuid);
    const result = new Map<string, number>();
    if (ids.length === 0) return result;
    const rows = await this.db
      .selectFrom('conflicts')
      .select(['space_id'])
      .select((eb) => eb.fn.countAll<string>().as('open'))
      .where('space_id', 'in', ids)
      .where('dismissed_at', 'is', null)
      .groupBy('space_id')
      .execute();
    for (const r of rows) result.set(r.space_id, Number(r.open));
    return result;
  }
}

function toConflict(row: Selectable<ConflictsTable>): Conflict {
  return {
    id: row.id,
    spaceId: row.space_id,
    pageId: row.page_id,
    path: row.path,
    base: row.base,
    wiki: row.wiki,
    git: row.git,
    createdAt: row.created_at,
    dismissedAt: row.dismissed_at,
  };
}
