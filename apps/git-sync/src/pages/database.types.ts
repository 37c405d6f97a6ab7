import type { ColumnType, Generated } from 'kysely';

/** Who made a write: the control plane ignores its own (`git-sync`) writes when deciding to trigger a cycle. */
export type WriteSource = 'user' | 'git-sync';

export interface SpaceSettings {
  gitSync?: { enabled?: boolean };
  [key: string]: unknown;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SpacesTable {
  id: string;
  name: string;
  settings: ColumnType<SpaceSettings, string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PagesTable {
  id: string;
  space_id: string;
  parent_page_id: string | null;
  title: string;
  content: string;
  position: number;
  /** Bumped on every write, so the sync engine can tell an unchanged page without reading its content. */
  revision: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_updated_source: WriteSource;
}

/** A hunk both sides changed, resolved to `main`; the texts are whole page files, front matter included. */
export interface ConflictsTable {
  id: string;
  space_id: string;
  page_id: string | null;
  path: string;
  /** The file at the merge base; null when both sides added it. */
  base: string | null;
  /** The wiki's version, whose conflicting hunks lost; null when the wiki deleted the page. */
  wiki: string | null;
  /** `main`'s version, which won; null when git deleted the file. */
  git: string | null;
  created_at: Timestamp;
  dismissed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The highest fencing token that has written to a space's pages; lower tokens are refused. */
export interface SpaceFencesTable {
  space_id: string;
  /** A bigint column: pg returns it as a string, PGlite as a number. */
  token: ColumnType<string | number, number, number>;
}

/**
 * The tables this package owns. The control plane extends this interface with its own tables
 * (users, tokens, memberships) and appends migrations to the registry in `migrations/index.ts`.
 */
export interface Database {
  spaces: SpacesTable;
  pages: PagesTable;
  conflicts: ConflictsTable;
  space_fences: SpaceFencesTable;
}
