import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, PagesTable, SpaceSettings, WriteSource } from './database.types';
import { InvalidPageParentError } from './invalid-page-parent.error';
import { InvalidSpaceIdError } from './invalid-space-id.error';
import { PageNotFoundError } from './page-not-found.error';
import type {
  CreatePageInput,
  Page,
  PageIdState,
  DeletedPageNode,
  PageNode,
  PageWriteEvent,
  PageWriteListener,
  Space,
} from './page-store.types';
import { passFence } from './space-fence';
import { SpaceNotFoundError } from './space-not-found.error';
import { StaleRevisionError } from './stale-revision.error';
import { isUuid } from './uuid';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * What every page update sets besides its own columns: who wrote it (so the
 * control plane can ignore git-sync's own writes) and a new revision (so the
 * sync engine can tell a changed page without reading its content).
 */
function writeStamp(source: WriteSource) {
  return {
    last_updated_source: source,
    revision: sql`revision + 1` as never,
    updated_at: sql`now()` as never,
  };
}

export interface WriteOptions {
  /** Write only if the page is still at this revision (optimistic concurrency); StaleRevisionError otherwise. */
  expectedRevision?: number;
  /**
   * The writer's fencing token (`ctx.fencingToken` of the space's lock). The write is refused with
   * StaleFencingTokenError, in its own transaction, when a higher token has already written to the
   * space. Without it the write is unfenced, as API edits and a single replica's writes are.
   */
  fencingToken?: number;
}

/** Spaces and their pages. Every page write records who made it, and is announced to listeners once committed. */
export class PageStore {
  private readonly listeners = new Set<PageWriteListener>();

  constructor(private readonly db: Kysely<Database>) {}

  /** Subscribe to committed page writes; returns the unsubscribe function. */
  onPageWrite(listener: PageWriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- spaces ----

  async createSpace(input: { name: string; id?: string; gitSyncEnabled?: boolean }): Promise<Space> {
    const id = input.id ?? randomUUID();
    assertSpaceId(id);
    const row = await this.db
      .insertInto('spaces')
      .values({
        id,
        name: input.name,
        settings: JSON.stringify({ gitSync: { enabled: input.gitSyncEnabled ?? false } }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSpace(row);
  }

  /** A live space, or undefined. A malformed id is a typed error rather than a database error. */
  async getSpace(spaceId: string): Promise<Space | undefined> {
    assertSpaceId(spaceId);
    const row = await this.db
      .selectFrom('spaces')
      .selectAll()
      .where('id', '=', spaceId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? toSpace(row) : undefined;
  }

  async requireSpace(spaceId: string): Promise<Space> {
    const space = await this.getSpace(spaceId);
    if (!space) throw new SpaceNotFoundError(spaceId);
    return space;
  }

  async listSpaces(filter: { gitSyncEnabled?: boolean } = {}): Promise<Space[]> {
    let query = this.db.selectFrom('spaces').selectAll().where('deleted_at', 'is', null);
    if (filter.gitSyncEnabled !== undefined) {
      // Only an explicit `true` opts a space in; a missing setting counts as disabled.
      const enabled = sql<boolean>`coalesce((settings -> 'gitSync' ->> 'enabled')::boolean, false)`;
      query = query.where(enabled, '=', filter.gitSyncEnabled);
    }
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toSpace);
  }

  async setGitSyncEnabled(spaceId: string, enabled: boolean): Promise<Space> {
    assertSpaceId(spaceId);
    const row = await this.db
      .updateTable('spaces')
      .set({
        settings:
          sql`jsonb_set(settings, '{gitSync}', coalesce(settings -> 'gitSync', '{}'::jsonb) || ${JSON.stringify({ enabled })}::jsonb)` as never,
        updated_at: sql`now()` as never,
      })
      .where('id', '=', spaceId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new SpaceNotFoundError(spaceId);
    return toSpace(row);
  }

  /**
   * Soft-deletes the space and its live pages, all stamped with the same
   * time, so that a restore brings back exactly those and not the pages
   * deleted before. Its memberships and conflict records are kept.
   */
  async deleteSpace(spaceId: string): Promise<void> {
    assertSpaceId(spaceId);
    await this.db.transaction().execute(async (trx) => {
      const space = await trx
        .updateTable('spaces')
        .set({ deleted_at: sql`now()` as never, updated_at: sql`now()` as never })
        .where('id', '=', spaceId)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!space) throw new SpaceNotFoundError(spaceId);
      await trx
        .updateTable('pages')
        .set({ deleted_at: sql`(select deleted_at from spaces where id = ${spaceId})` as never, ...writeStamp('user') })
        .where('space_id', '=', spaceId)
        .where('deleted_at', 'is', null)
        .execute();
    });
  }

  /** Undoes `deleteSpace`: the space and the pages deleted with it. A live space is returned as it is. */
  async restoreSpace(spaceId: string): Promise<Space> {
    assertSpaceId(spaceId);
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('spaces').selectAll().where('id', '=', spaceId).executeTakeFirst();
      if (!existing) throw new SpaceNotFoundError(spaceId);
      if (existing.deleted_at === null) return toSpace(existing);
      // Compared in SQL: a JavaScript Date would drop the timestamp's microseconds.
      await trx
        .updateTable('pages')
        .set({ deleted_at: null, ...writeStamp('user') })
        .where('space_id', '=', spaceId)
        .where('deleted_at', '=', sql<Date>`(select deleted_at from spaces where id = ${spaceId})`)
        .execute();
      const row = await trx
        .updateTable('spaces')
        .set({ deleted_at: null, updated_at: sql`now()` as never })
        .where('id', '=', spaceId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSpace(row);
    });
  }

  // ---- pages: reads ----

  /** The live pages of a space, without content, in a stable order. */
  async listTree(spaceId: string): Promise<PageNode[]> {
    assertSpaceId(spaceId);
    const rows = await this.db
      .selectFrom('pages')
      .select(['id', 'parent_page_id', 'title', 'position', 'revision', 'created_at'])
      .where('space_id', '=', spaceId)
      .where('deleted_at', 'is', null)
      .orderBy('position')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toPageNode);
  }

  /** The soft-deleted pages of a space, without content, most recently deleted first. */
  async listDeleted(spaceId: string): Promise<DeletedPageNode[]> {
    assertSpaceId(spaceId);
    const rows = await this.db
      .selectFrom('pages')
      .select(['id', 'parent_page_id', 'title', 'position', 'revision', 'created_at', 'deleted_at'])
      .where('space_id', '=', spaceId)
      .where('deleted_at', 'is not', null)
      .orderBy('deleted_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...toPageNode(r), deletedAt: r.deleted_at as Date }));
  }

  /**
   * Changes whenever any page of the space is written: every write bumps a revision by one, so the
   * row count and the revision sum together never repeat. Costs one aggregate, no rows.
   */
  async treeFingerprint(spaceId: string): Promise<string> {
    assertSpaceId(spaceId);
    const row = await this.db
      .selectFrom('pages')
      .select([sql<string>`count(*)`.as('count'), sql<string>`coalesce(sum(revision), 0)`.as('sum')])
      .where('space_id', '=', spaceId)
      .executeTakeFirstOrThrow();
    return `${row.count}:${row.sum}`;
  }

  /** Content of live pages by id; ids that are not live pages of the space are absent from the result. */
  async readContents(spaceId: string, pageIds: readonly string[]): Promise<Map<string, string>> {
    assertSpaceId(spaceId);
    const ids = pageIds.filter(isUuid);
    const result = new Map<string, string>();
    // Chunked so a large first cycle never builds a query with tens of thousands of parameters.
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db
        .selectFrom('pages')
        .select(['id', 'content'])
        .where('space_id', '=', spaceId)
        .where('deleted_at', 'is', null)
        .where('id', 'in', ids.slice(i, i + 1000))
        .execute();
      for (const r of rows) result.set(r.id, r.content);
    }
    return result;
  }

  /** A page of the space, deleted or not. */
  async getPage(spaceId: string, pageId: string): Promise<Page | undefined> {
    assertSpaceId(spaceId);
    if (!isUuid(pageId)) return undefined;
    const row = await this.db
      .selectFrom('pages')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('id', '=', pageId)
      .executeTakeFirst();
    return row ? toPage(row) : undefined;
  }

  /**
   * Which of the given ids are pages of this space (live or soft-deleted). Ids of other spaces,
   * unknown ids and malformed ids are simply absent, so a caller can never write across spaces.
   */
  async findIds(spaceId: string, pageIds: readonly string[]): Promise<Map<string, PageIdState>> {
    assertSpaceId(spaceId);
    const ids = [...new Set(pageIds.filter(isUuid))];
    const result = new Map<string, PageIdState>();
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.db
        .selectFrom('pages')
        .select(['id', 'deleted_at'])
        .where('space_id', '=', spaceId)
        .where('id', 'in', ids.slice(i, i + 1000))
        .execute();
      for (const r of rows) result.set(r.id, { deleted: r.deleted_at !== null });
    }
    return result;
  }

  // ---- pages: writes ----

  async createPage(
    spaceId: string,
    input: CreatePageInput,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<Page> {
    assertSpaceId(spaceId);
    const id = input.id ?? randomUUID();
    if (!isUuid(id)) throw new RangeError(`page id ${JSON.stringify(id)} is not a uuid`);
    const parentPageId = input.parentPageId ?? null;
    const row = await this.transaction(spaceId, options.fencingToken, async (trx) => {
      const space = await trx.selectFrom('spaces').select('id').where('id', '=', spaceId).executeTakeFirst();
      if (!space) throw new SpaceNotFoundError(spaceId);
      if (parentPageId !== null) await this.assertParent(trx, spaceId, id, parentPageId);
      const position = input.position ?? (await nextPosition(trx, spaceId, parentPageId));
      return trx
        .insertInto('pages')
        .values({
          id,
          space_id: spaceId,
          parent_page_id: parentPageId,
          title: input.title,
          content: input.content ?? '',
          position,
          last_updated_source: source,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    this.emit({ spaceId, pageId: id, source, kind: 'create' });
    return toPage(row);
  }

  async updateContent(
    spaceId: string,
    pageId: string,
    content: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<Page> {
    return this.write(spaceId, pageId, source, { content }, options);
  }

  async rename(
    spaceId: string,
    pageId: string,
    title: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<Page> {
    return this.write(spaceId, pageId, source, { title }, options);
  }

  /**
   * Content and title in one write (one revision). With `expectedRevision`, the write happens only if
   * the page is still at that revision, in the same statement; otherwise StaleRevisionError.
   */
  async updatePage(
    spaceId: string,
    pageId: string,
    values: { content?: string; title?: string },
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<Page> {
    return this.write(spaceId, pageId, source, values, options);
  }

  /** Moves a page under another parent (or to the root with `null`), after its new siblings unless a position is given. */
  async move(
    spaceId: string,
    pageId: string,
    parentPageId: string | null,
    source: WriteSource,
    position?: number,
    options: WriteOptions = {},
  ): Promise<Page> {
    assertSpaceId(spaceId);
    const row = await this.transaction(spaceId, options.fencingToken, async (trx) => {
      await this.requireLivePage(trx, spaceId, pageId);
      if (parentPageId !== null) await this.assertParent(trx, spaceId, pageId, parentPageId);
      const pos = position ?? (await nextPosition(trx, spaceId, parentPageId));
      return this.updateRow(
        trx,
        spaceId,
        pageId,
        source,
        { parent_page_id: parentPageId, position: pos },
        options.expectedRevision,
      );
    });
    this.emit({ spaceId, pageId, source, kind: 'move' });
    return toPage(row);
  }

  async softDelete(spaceId: string, pageId: string, source: WriteSource, options: WriteOptions = {}): Promise<Page> {
    assertSpaceId(spaceId);
    const row = await this.transaction(spaceId, options.fencingToken, async (trx) => {
      await this.requireLivePage(trx, spaceId, pageId);
      return this.updateRow(trx, spaceId, pageId, source, { deleted_at: sql`now()` }, options.expectedRevision);
    });
    this.emit({ spaceId, pageId, source, kind: 'delete' });
    return toPage(row);
  }

  async restore(spaceId: string, pageId: string, source: WriteSource, options: WriteOptions = {}): Promise<Page> {
    assertSpaceId(spaceId);
    if (!isUuid(pageId)) throw new PageNotFoundError(spaceId, pageId);
    const row = await this.transaction(
      spaceId,
      options.fencingToken,
      (trx) =>
        trx
          .updateTable('pages')
          .set({ deleted_at: null, ...writeStamp(source) })
          .where('space_id', '=', spaceId)
          .where('id', '=', pageId)
          .returningAll()
          .executeTakeFirst(),
      true,
    );
    if (!row) throw new PageNotFoundError(spaceId, pageId);
    this.emit({ spaceId, pageId, source, kind: 'restore' });
    return toPage(row);
  }

  // ---- internals ----

  /**
   * Runs a write in a transaction that first passes the space's fence when a token is given, so the
   * check and the write commit together. An unfenced single statement needs no transaction.
   */
  private async transaction<T>(
    spaceId: string,
    fencingToken: number | undefined,
    fn: (trx: Executor) => Promise<T>,
    single = false,
  ): Promise<T> {
    if (fencingToken === undefined && single) return fn(this.db);
    return this.db.transaction().execute(async (trx) => {
      if (fencingToken !== undefined) await passFence(trx, spaceId, fencingToken);
      return fn(trx);
    });
  }

  private async write(
    spaceId: string,
    pageId: string,
    source: WriteSource,
    values: { content?: string; title?: string },
    { expectedRevision, fencingToken }: WriteOptions = {},
  ): Promise<Page> {
    assertSpaceId(spaceId);
    if (!isUuid(pageId)) throw new PageNotFoundError(spaceId, pageId);
    const row = await this.transaction(
      spaceId,
      fencingToken,
      async (trx) => {
        let query = trx
          .updateTable('pages')
          .set({ ...values, ...writeStamp(source) })
          .where('space_id', '=', spaceId)
          .where('id', '=', pageId)
          .where('deleted_at', 'is', null);
        if (expectedRevision !== undefined) query = query.where('revision', '=', expectedRevision);
        const written = await query.returningAll().executeTakeFirst();
        if (!written) throw await this.whyNotWritten(trx, spaceId, pageId, expectedRevision);
        return written;
      },
      true,
    );
    if (values.content !== undefined) this.emit({ spaceId, pageId, source, kind: 'update-content' });
    if (values.title !== undefined) this.emit({ spaceId, pageId, source, kind: 'rename' });
    return toPage(row);
  }

  private async updateRow(
    trx: Executor,
    spaceId: string,
    pageId: string,
    source: WriteSource,
    values: Record<string, unknown>,
    expectedRevision?: number,
  ) {
    let query = trx
      .updateTable('pages')
      .set({ ...values, ...writeStamp(source) })
      .where('space_id', '=', spaceId)
      .where('id', '=', pageId);
    // The revision is checked by the write itself, so nothing can slip in between check and write.
    if (expectedRevision !== undefined) query = query.where('revision', '=', expectedRevision);
    const row = await query.returningAll().executeTakeFirst();
    if (!row) throw await this.whyNotWritten(trx, spaceId, pageId, expectedRevision);
    return row;
  }

  /** A conditional write touched no row: the page is gone (404), or it moved past the expected revision (412). */
  private async whyNotWritten(
    db: Executor,
    spaceId: string,
    pageId: string,
    expectedRevision: number | undefined,
  ): Promise<Error> {
    const row = await db
      .selectFrom('pages')
      .select('revision')
      .where('space_id', '=', spaceId)
      .where('id', '=', pageId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row || expectedRevision === undefined) return new PageNotFoundError(spaceId, pageId);
    return new StaleRevisionError(spaceId, pageId, expectedRevision, row.revision);
  }

  private async requireLivePage(trx: Executor, spaceId: string, pageId: string): Promise<void> {
    if (!isUuid(pageId)) throw new PageNotFoundError(spaceId, pageId);
    const row = await trx
      .selectFrom('pages')
      .select('id')
      .where('space_id', '=', spaceId)
      .where('id', '=', pageId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new PageNotFoundError(spaceId, pageId);
  }

  /** The parent must be a live page of the same space and must not be the page itself or one of its descendants. */
  private async assertParent(trx: Executor, spaceId: string, pageId: string, parentPageId: string): Promise<void> {
    if (!isUuid(parentPageId)) throw new InvalidPageParentError(spaceId, pageId, parentPageId, 'not-found');
    let current: string | null = parentPageId;
    const seen = new Set<string>();
    while (current !== null) {
      if (current === pageId) throw new InvalidPageParentError(spaceId, pageId, parentPageId, 'cycle');
      if (seen.has(current)) break;
      seen.add(current);
      const row: { parent_page_id: string | null; deleted_at: Date | null } | undefined = await trx
        .selectFrom('pages')
        .select(['parent_page_id', 'deleted_at'])
        .where('space_id', '=', spaceId)
        .where('id', '=', current)
        .executeTakeFirst();
      if (!row || (current === parentPageId && row.deleted_at !== null)) {
        if (current === parentPageId) throw new InvalidPageParentError(spaceId, pageId, parentPageId, 'not-found');
        break;
      }
      current = row.parent_page_id;
    }
  }

  private emit(event: PageWriteEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not turn a committed write into a reported failure.
      }
    }
  }
}

export function assertSpaceId(spaceId: string): void {
  if (!isUuid(spaceId)) throw new InvalidSpaceIdError(spaceId);
}

async function nextPosition(trx: Executor, spaceId: string, parentPageId: string | null): Promise<number> {
  let query = trx
    .selectFrom('pages')
    .select(sql<number>`coalesce(max(position), -1) + 1`.as('next'))
    .where('space_id', '=', spaceId)
    .where('deleted_at', 'is', null);
  query =
    parentPageId === null
      ? query.where('parent_page_id', 'is', null)
      : query.where('parent_page_id', '=', parentPageId);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.next);
}

function toSpace(row: { id: string; name: string; settings: unknown; created_at: Date; updated_at: Date }): Space {
  const parsed: unknown = typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings;
  const settings = (parsed ?? {}) as SpaceSettings;
  return {
    id: row.id,
    name: row.name,
    settings,
    gitSyncEnabled: settings.gitSync?.enabled === true,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toPageNode(
  row: Pick<Selectable<PagesTable>, 'id' | 'parent_page_id' | 'title' | 'position' | 'revision' | 'created_at'>,
): PageNode {
  return {
    id: row.id,
    parentPageId: row.parent_page_id,
    title: row.title,
    position: row.position,
    revision: row.revision,
    createdAt: row.created_at,
  };
}

function toPage(row: Selectable<PagesTable>): Page {
  return {
    id: row.id,
    spaceId: row.space_id,
    parentPageId: row.parent_page_id,
    title: row.title,
    content: row.content,
    position: row.position,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    lastUpdatedSource: row.last_updated_source,
  };
}
