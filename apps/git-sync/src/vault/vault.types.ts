export const MAIN_REF = 'refs/heads/main';
export const PAGES_REF = 'refs/heads/pages';
export const LAST_PUSHED_REF = 'refs/git-sync/last-pushed';

export interface VaultRefs {
  main: string;
  pages: string;
  lastPushed: string;
}

export interface TreeEntry {
  mode: string;
  oid: string;
  path: string;
}

export interface TreeChange {
  status: 'A' | 'M' | 'D' | 'T';
  path: string;
  /** Blob before; absent for an addition. */
  oldOid: string | null;
  /** Blob after; absent for a deletion. */
  newOid: string | null;
  newMode: string | null;
}

export interface ConflictEntry {
  mode: string;
  oid: string;
  stage: 1 | 2 | 3;
  path: string;
}

export interface MergeTreeResult {
  tree: string;
  conflicts: ConflictEntry[];
}

/** One file change of a commit written with fast-import: bytes to write, or null to delete. */
export interface FileWrite {
  path: string;
  content: Buffer | null;
}
