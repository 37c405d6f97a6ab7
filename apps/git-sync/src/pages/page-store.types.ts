import type { SpaceSettings, WriteSource } from './database.types';

export interface Space {
  id: string;
  name: string;
  settings: SpaceSettings;
  gitSyncEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A page without its content: what the sync engine lists for the whole space on every cycle. */
export interface PageNode {
  id: string;
  parentPageId: string | null;
  title: string;
  position: number;
  revision: number;
  createdAt: Date;
}

export interface DeletedPageNode extends PageNode {
  deletedAt: Date;
}

export interface Page extends PageNode {
  spaceId: string;
  content: string;
  updatedAt: Date;
  deletedAt: Date | null;
  lastUpdatedSource: WriteSource;
}

export interface PageWriteEvent {
  spaceId: string;
  pageId: string;
  source: WriteSource;
  kind: 'create' | 'update-content' | 'rename' | 'move' | 'delete' | 'restore';
}

export type PageWriteListener = (event: PageWriteEvent) => void;

export interface CreatePageInput {
  /** Lets a caller choose the id, which makes a retried creation idempotent. */
  id?: string;
  parentPageId?: string | null;
  title: string;
  content?: string;
  /** Sibling order; defaults to after the last sibling. */
  position?: number;
}

export interface PageIdState {
  deleted: boolean;
}
