import { isManagedPath } from './page-layout';
import { parsePageFile } from './page-file';
import type { Vault } from './vault';

export interface ManifestEntry {
  /** Blob of the file in the manifest's commit. */
  oid: string;
  /** Page id from the file's front matter, if any. */
  id: string | null;
  /**
   * Store revision that serializes to exactly this blob, when known. It lets the next cycle skip reading
   * and hashing an unchanged page; null means "compare the content to find out".
   */
  rev: number | null;
}

interface StoredManifest {
  version: 1;
  commit: string;
  entries: Array<[path: string, oid: string, id: string | null, rev: number | null]>;
}

const FILE = 'manifest.json';

/**
 * An index of the managed files of one commit of the `pages` branch (path → blob, page id, revision).
 * It is a cache: git stays the source of truth. A manifest for an older commit is brought forward
 * from the diff, and one for an unknown commit is rebuilt from the tree.
 */
export class VaultManifest {
  private idIndex: Map<string, string> | null = null;

  private constructor(
    public commit: string,
    readonly entries: Map<string, ManifestEntry>,
  ) {}

  static async load(vault: Vault, commit: string, cached?: VaultManifest): Promise<VaultManifest> {
    if (cached) {
      if (cached.commit === commit) return cached;
      if (await vault.objectExists(cached.commit)) {
        await cached.advance(vault, commit);
        return cached;
      }
    }
    const stored = await vault.readState<StoredManifest>(FILE);
    if (stored?.version === 1 && typeof stored.commit === 'string' && Array.isArray(stored.entries)) {
      const manifest = new VaultManifest(
        stored.commit,
        new Map(stored.entries.map(([path, oid, id, rev]) => [path, { oid, id, rev }])),
      );
      if (stored.commit === commit) return manifest;
      if (await vault.objectExists(stored.commit)) {
        await manifest.advance(vault, commit);
        return manifest;
      }
    }
    return VaultManifest.rebuild(vault, commit);
  }

  static async rebuild(vault: Vault, commit: string): Promise<VaultManifest> {
    const manifest = new VaultManifest(commit, new Map());
    const files = (await vault.listTree(commit)).filter((e) => isManagedPath(e.path));
    const blobs = await vault.readBlobs(files.map((f) => f.oid));
    for (const f of files) {
      manifest.entries.set(f.path, { oid: f.oid, id: idOf(blobs.get(f.oid)), rev: null });
    }
    return manifest;
  }

  /** Moves the manifest to a descendant (or any) commit by reading only the files that differ. */
  async advance(vault: Vault, commit: string): Promise<void> {
    if (commit === this.commit) return;
    const changes = (await vault.diffTrees(this.commit, commit)).filter((c) => isManagedPath(c.path));
    const blobs = await vault.readBlobs(changes.flatMap((c) => (c.newOid ? [c.newOid] : [])));
    for (const c of changes) {
      if (c.newOid === null) this.entries.delete(c.path);
      else this.entries.set(c.path, { oid: c.newOid, id: idOf(blobs.get(c.newOid)), rev: null });
    }
    this.commit = commit;
    this.idIndex = null;
  }

  get(path: string): ManifestEntry | undefined {
    return this.entries.get(path);
  }

  set(path: string, entry: ManifestEntry): void {
    this.entries.set(path, entry);
    this.idIndex = null;
  }

  delete(path: string): void {
    this.entries.delete(path);
    this.idIndex = null;
  }

  /** Path of a page id; with duplicated ids (a copied file) the first path in sort order wins. */
  pathOf(id: string): string | undefined {
    if (!this.idIndex) {
      this.idIndex = new Map();
      for (const path of [...this.entries.keys()].sort()) {
        const entryId = this.entries.get(path)!.id;
        if (entryId && !this.idIndex.has(entryId)) this.idIndex.set(entryId, path);
      }
    }
    return this.idIndex.get(id);
  }

  async save(vault: Vault): Promise<void> {
    const stored: StoredManifest = {
      version: 1,
      commit: this.commit,
      entries: [...this.entries].map(([path, e]) => [path, e.oid, e.id, e.rev]),
    };
    await vault.writeState(FILE, stored);
  }
}

function idOf(blob: Buffer | undefined): string | null {
  return blob ? parsePageFile(blob).id : null;
}
