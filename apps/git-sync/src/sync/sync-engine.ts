import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { InvalidSpaceIdError } from '../pages/invalid-space-id.error';
import type { PageStore } from '../pages/page-store';
import type { PageNode } from '../pages/page-store.types';
import { isUuid } from '../pages/uuid';
import { DataDirUnusableError } from '../vault/data-dir-unusable.error';
import { decodeStem, encodeTitle } from '../vault/filename-codec';
import type { GitRunner } from '../vault/git-runner';
import { blobOid, parsePageFile, serializePage } from '../vault/page-file';
import { dirOf, isManagedPath, layoutPages, PAGE_EXTENSION, stemOf } from '../vault/page-layout';
import { Vault } from '../vault/vault';
import { VaultManifest } from '../vault/vault-manifest';
import { type FileWrite, LAST_PUSHED_REF, MAIN_REF, PAGES_REF, type VaultRefs } from '../vault/vault.types';
import { CycleAbortedError } from './cycle-aborted.error';
import { type CycleStatus, type CycleStep, emptyCycleStatus, type PushStatus, type RunCycleOptions } from './cycle-status';
import { planDeletes } from './delete-plan';
import { derivedPageId } from './derived-page-id';
import { type EngineLogger, silentLogger } from './engine-logger';

export interface SyncEngineOptions {
  store: PageStore;
  git: GitRunner;
  dataDir: string;
  /** Most page deletes one cycle applies from git; the rest wait for later cycles. */
  deleteCap?: number;
  logger?: EngineLogger;
  /**
   * Awaited after each step, once the vault and store are consistent again. For supervision and for
   * tests that interrupt a cycle at a known point.
   */
  onStep?: (step: CycleStep, spaceId: string) => void | Promise<void>;
}

interface DeferredState {
  deletes: string[];
}

const DEFERRED_FILE = 'deferred-deletes.json';
const SOURCE = 'git-sync' as const;

interface Incoming {
  path: string;
  oid: string;
  id: string | null;
  body: string;
}

interface PullResult {
  commit: string;
  written: number;
  deleted: number;
  /** The listing, when the store had to be listed. */
  nodes: PageNode[] | null;
  /** Store fingerprint taken before listing: the mirror reflects at least this state. */
  fingerprint: string;
}

/** What a process remembers between cycles of one space, so an idle cycle costs a few small calls. */
interface SpaceMemo {
  manifest: VaultManifest;
  /** Store fingerprint the mirror at `manifest.commit` was built from, if nothing was written since. */
  fingerprint: string | null;
  deferredKey: string;
}

/**
 * One PULL + PUSH cycle between a space's pages and its vault. It takes no lock: the caller guarantees
 * a single writer per space (the control plane runs it under the space lock).
 */
export class SyncEngine {
  readonly deleteCap: number;
  private readonly store: PageStore;
  private readonly git: GitRunner;
  private readonly logger: EngineLogger;
  private gitChecked: Promise<void> | undefined;
  private readonly memos = new Map<string, SpaceMemo>();

  constructor(private readonly options: SyncEngineOptions) {
    this.store = options.store;
    this.git = options.git;
    this.deleteCap = options.deleteCap ?? 500;
    this.logger = options.logger ?? silentLogger;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  vault(spaceId: string): Vault {
    if (!isUuid(spaceId)) throw new InvalidSpaceIdError(spaceId);
    return new Vault(this.options.dataDir, spaceId.toLowerCase(), this.git);
  }

  /** Fails with a typed error when git is missing or the data directory cannot be used; writes nothing. */
  async checkPrerequisites(): Promise<void> {
    try {
      await access(this.options.dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new DataDirUnusableError(this.options.dataDir, (error as NodeJS.ErrnoException).code ?? 'not accessible', error);
    }
    this.gitChecked ??= this.git.version().then(
      () => undefined,
      (error: unknown) => {
        this.gitChecked = undefined;
        throw error;
      },
    );
    await this.gitChecked;
  }

  async runCycle(spaceId: string, options: RunCycleOptions = {}): Promise<CycleStatus> {
    if (!isUuid(spaceId)) throw new InvalidSpaceIdError(spaceId);
    spaceId = spaceId.toLowerCase();
    await this.checkPrerequisites();
    await this.store.requireSpace(spaceId);
    const { signal } = options;
    this.checkSignal(signal, spaceId, 'start');

    const vault = this.vault(spaceId);
    const refs = await vault.ensure();
    const recovery = await vault.recover();
    if (recovery.worktreeReset) this.logger.warn({ spaceId, ...recovery }, 'recovered vault from an interrupted cycle');
    await vault.markCycleStart();
    try {
      const status = await this.cycle(vault, spaceId, refs, signal);
      await vault.markCycleEnd();
      this.logger.info({ spaceId, ...status }, 'git-sync cycle done');
      return status;
    } catch (error) {
      // Aborts happen only between steps, when everything is consistent. Any other failure keeps the
      // marker so the next cycle starts with a full recovery.
      if (error instanceof CycleAbortedError) await vault.markCycleEnd();
      // The cached manifest may describe a half-finished step; rebuild it from disk and git next time.
      this.memos.delete(spaceId);
      throw error;
    }
  }

  private async cycle(vault: Vault, spaceId: string, refs: VaultRefs, signal: AbortSignal | undefined): Promise<CycleStatus> {
    const status = emptyCycleStatus();
    const step = async (name: CycleStep) => {
      await this.options.onStep?.(name, spaceId);
      this.checkSignal(signal, spaceId, name);
    };
    await step('recovered');

    const memo = this.memos.get(spaceId);
    const manifest = await VaultManifest.load(vault, refs.pages, memo?.manifest);
    const deferred = (await vault.readState<DeferredState>(DEFERRED_FILE))?.deletes ?? [];
    const deferredKey = deferred.join(',');
    const remember = (fingerprint: string | null) =>
      this.memos.set(spaceId, { manifest, fingerprint, deferredKey: fingerprint === null ? '' : deferredKey });

    // PULL: the store onto the mirror branch, skipped outright when no page was written since the last one.
    const fingerprint = await this.store.treeFingerprint(spaceId);
    const unchanged =
      memo?.fingerprint === fingerprint && memo.manifest === manifest && manifest.commit === refs.pages && memo.deferredKey === deferredKey;
    const pulled: PullResult = unchanged
      ? { commit: refs.pages, written: 0, deleted: 0, nodes: null, fingerprint }
      : await this.pull(vault, spaceId, refs.pages, manifest, new Set(deferred), fingerprint);
    status.pull.written = pulled.written;
    status.pull.deleted = pulled.deleted;
    if (pulled.commit !== refs.pages) status.commits++;
    await step('pulled');

    // Merge the mirror into main; main wins every conflicting path.
    const merged = await this.merge(vault, refs.main, pulled.commit, refs.pages);
    status.pull.conflicts = merged.conflicts;
    status.commits += merged.commits;
    await step('merged');

    // PUSH: what main gained since last-pushed, into the store.
    if (merged.main === refs.lastPushed && deferred.length === 0) {
      remember(pulled.fingerprint);
      return status;
    }
    const settledFingerprint = await this.push(vault, spaceId, {
      lastPushed: refs.lastPushed,
      main: merged.main,
      pages: pulled.commit,
      manifest,
      nodes: pulled.nodes ?? (await this.store.listTree(spaceId)),
      deferred,
      status,
      step,
      fingerprint: pulled.fingerprint,
    });
    remember(settledFingerprint);
    return status;
  }

  // ---------------------------------------------------------------- PULL

  private async pull(
    vault: Vault,
    spaceId: string,
    pagesCommit: string,
    manifest: VaultManifest,
    excluded: ReadonlySet<string>,
    fingerprint: string,
  ): Promise<PullResult> {
    const listed = await this.store.listTree(spaceId);
    const nodes = excluded.size > 0 ? listed.filter((n) => !excluded.has(n.id)) : listed;
    const layout = layoutPages(nodes);

    // Only pages whose revision or place changed since they were last written need their content.
    const stale = nodes.filter((n) => {
      const entry = manifest.get(layout.get(n.id)!);
      return !(entry && entry.id === n.id && entry.rev === n.revision);
    });
    const contents = stale.length > 0 ? await this.store.readContents(spaceId, stale.map((n) => n.id)) : new Map();

    const files: FileWrite[] = [];
    const entries: Array<[string, { oid: string; id: string; rev: number }]> = [];
    let manifestDirty = false;
    for (const n of stale) {
      const content = contents.get(n.id);
      // Deleted since it was listed: leave its file for the next cycle rather than guess.
      if (content === undefined) continue;
      const path = layout.get(n.id)!;
      const bytes = serializePage(n.id, content);
      const oid = blobOid(bytes);
      const entry = { oid, id: n.id, rev: n.revision };
      if (manifest.get(path)?.oid === oid) {
        manifest.set(path, entry);
        manifestDirty = true;
        continue;
      }
      files.push({ path, content: bytes });
      entries.push([path, entry]);
    }
    const written = files.length;

    // An empty listing is more likely a broken query or store than a user deleting everything.
    const removed: string[] = [];
    if (listed.length > 0) {
      const desired = new Set(layout.values());
      for (const path of manifest.entries.keys()) if (!desired.has(path)) removed.push(path);
      removed.sort();
      for (const path of removed) files.push({ path, content: null });
    }

    if (files.length === 0) {
      if (manifestDirty) await manifest.save(vault);
      return { commit: pagesCommit, written: 0, deleted: 0, nodes: listed, fingerprint };
    }
    const commit = await vault.commitFiles(
      PAGES_REF,
      pagesCommit,
      `Sync pages from the wiki (${written} written, ${removed.length} deleted)`,
      files,
    );
    for (const path of removed) manifest.delete(path);
    for (const [path, entry] of entries) manifest.set(path, entry);
    manifest.commit = commit;
    await manifest.save(vault);
    return { commit, written, deleted: removed.length, nodes: listed, fingerprint };
  }

  // ---------------------------------------------------------------- MERGE

  private async merge(vault: Vault, main: string, pages: string, mirrorParent: string): Promise<{ main: string; conflicts: number; commits: number }> {
    if (main === pages) return { main, conflicts: 0, commits: 0 };
    // The mirror was level with main before PULL, so its new commit descends from main: no merge-base needed.
    const base = mirrorParent === main ? main : await vault.mergeBase(main, pages);
    if (base === pages) return { main, conflicts: 0, commits: 0 };
    if (base === main) {
      await vault.updateRef(MAIN_REF, pages, main);
      await vault.syncWorktree(main);
      return { main: pages, conflicts: 0, commits: 0 };
    }

    const { tree, conflicts } = await vault.mergeTree(main, pages);
    let resolved = tree;
    const paths = [...new Set(conflicts.map((c) => c.path))].sort();
    if (paths.length > 0) {
      // Stage 2 is main's side. Where main has no version (it deleted the file), the deletion wins.
      resolved = await vault.editTree(
        tree,
        paths.map((path) => {
          const ours = conflicts.find((c) => c.path === path && c.stage === 2);
          return ours ? { path, mode: ours.mode, oid: ours.oid } : { path, remove: true as const };
        }),
      );
      this.logger.warn({ spaceId: vault.spaceId, paths }, 'merge conflicts resolved in favour of main');
    }
    const message = paths.length
      ? `Merge wiki changes\n\nConflicts resolved to main:\n${paths.map((p) => `  ${p}`).join('\n')}\n`
      : 'Merge wiki changes';
    const commit = await vault.commitTree(resolved, [main, pages], message);
    await vault.updateRef(MAIN_REF, commit, main);
    await vault.syncWorktree(main);
    return { main: commit, conflicts: paths.length, commits: 1 };
  }

  // ---------------------------------------------------------------- PUSH

  private async push(
    vault: Vault,
    spaceId: string,
    ctx: {
      lastPushed: string;
      main: string;
      pages: string;
      manifest: VaultManifest;
      nodes: PageNode[];
      deferred: string[];
      status: CycleStatus;
      step: (name: CycleStep) => Promise<void>;
      fingerprint: string;
    },
  ): Promise<string | null> {
    const { manifest, status } = ctx;
    const push = status.push;
    let main = ctx.main;
    const changes = (await vault.diffTrees(ctx.lastPushed, main)).filter((c) => isManagedPath(c.path));

    // Files equal to the mirror came from the store: pushing them back could only undo a newer wiki edit.
    const present = new Set<string>();
    const toRead: Array<{ path: string; oid: string }> = [];
    const deletedPaths: string[] = [];
    const mainPathToId = new Map<string, string>();
    for (const [path, entry] of manifest.entries) if (entry.id) mainPathToId.set(path, entry.id);
    for (const c of changes) {
      if (c.newOid === null) {
        deletedPaths.push(c.path);
        mainPathToId.delete(c.path);
        continue;
      }
      const entry = manifest.get(c.path);
      if (entry && entry.oid === c.newOid) {
        if (entry.id) present.add(entry.id);
        continue;
      }
      toRead.push({ path: c.path, oid: c.newOid });
      mainPathToId.delete(c.path);
    }
    const blobs = await vault.readBlobs(toRead.map((f) => f.oid));
    const incoming: Incoming[] = toRead.map((f) => ({ ...f, ...parsePageFile(blobs.get(f.oid) ?? Buffer.alloc(0)) }));

    // A file gone from main while the mirror still has it was deleted by a client.
    const deleteCandidates = deletedPaths.flatMap((p) => {
      const id = manifest.get(p)?.id;
      return id ? [id] : [];
    });
    const known = await this.store.findIds(spaceId, [
      ...incoming.flatMap((f) => (f.id ? [f.id] : [])),
      ...deleteCandidates,
      ...ctx.deferred,
    ]);

    // Sort files carrying a known id into the page's own file and copies of it; the rest are new pages.
    const creates: Incoming[] = [];
    const primaries: Array<Incoming & { id: string }> = [];
    const byId = new Map<string, Incoming[]>();
    for (const f of incoming) {
      if (f.id && known.has(f.id)) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
      else creates.push(f);
    }
    const mirrorPathsToCheck = [...byId.keys()].flatMap((id) => {
      const mirrorPath = manifest.pathOf(id);
      return mirrorPath && !byId.get(id)!.some((f) => f.path === mirrorPath) ? [mirrorPath] : [];
    });
    const originalsInMain = await this.idsAt(vault, main, mirrorPathsToCheck);
    for (const [id, files] of [...byId].sort(([a], [b]) => (a < b ? -1 : 1))) {
      files.sort((a, b) => (a.path < b.path ? -1 : 1));
      const mirrorPath = manifest.pathOf(id);
      let primary = files.find((f) => f.path === mirrorPath);
      if (!primary && !(mirrorPath && originalsInMain.get(mirrorPath) === id)) primary = files[0];
      for (const f of files) {
        if (f === primary) primaries.push({ ...f, id });
        else creates.push(f);
      }
      if (primary) present.add(id);
    }

    const liveNodes = new Map(ctx.nodes.map((n) => [n.id, n]));
    const createdIds = new Set<string>();
    const isParentCandidate = (id: string) => liveNodes.has(id) || createdIds.has(id);
    const resolveParent = (path: string): string | null => {
      for (let dir = dirOf(path); dir !== ''; dir = dirOf(dir)) {
        const id = mainPathToId.get(dir + PAGE_EXTENSION);
        if (id && isParentCandidate(id)) return id;
      }
      return null;
    };
    for (const p of primaries) mainPathToId.set(p.path, p.id);

    const fail = (error: unknown, context: object) => {
      push.failures++;
      this.logger.error({ spaceId, err: error, ...context }, 'git-sync push change failed');
    };

    // New pages, parents first so a new directory's page exists before its children.
    creates.sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1));
    const derived = creates.map((f) => derivedPageId(spaceId, ctx.lastPushed, f.path, f.oid));
    const alreadyCreated = await this.store.findIds(spaceId, derived);
    const writeBack: FileWrite[] = [];
    for (const [i, f] of creates.entries()) {
      const id = derived[i];
      if (alreadyCreated.has(id)) {
        // Created by a cycle that died before writing the id back: finish that work instead of duplicating.
        primaries.push({ ...f, id });
      } else {
        try {
          await this.store.createPage(
            spaceId,
            { id, parentPageId: resolveParent(f.path), title: decodeStem(stemOf(f.path)), content: f.body },
            SOURCE,
          );
          push.created++;
        } catch (error) {
          fail(error, { path: f.path });
          continue;
        }
      }
      createdIds.add(id);
      mainPathToId.set(f.path, id);
      writeBack.push({ path: f.path, content: serializePage(id, f.body) });
    }

    // Existing pages: content, title and parent from the file.
    const contents = await this.store.readContents(
      spaceId,
      primaries.map((p) => p.id),
    );
    for (const f of primaries) {
      try {
        await this.applyToPage(spaceId, f, {
          node: liveNodes.get(f.id),
          content: contents.get(f.id),
          previousPath: manifest.pathOf(f.id),
          parent: resolveParent(f.path),
        }, push);
      } catch (error) {
        fail(error, { path: f.path, pageId: f.id });
      }
    }

    // Deletes, capped per cycle; the rest are remembered, and kept out of the mirror meanwhile.
    const isLive = (id: string) => known.get(id)?.deleted === false;
    const plan = planDeletes({
      deferred: ctx.deferred.filter((id) => isLive(id) && !present.has(id)),
      requested: deleteCandidates.filter((id) => isLive(id) && !present.has(id)),
      cap: this.deleteCap,
    });
    for (const id of plan.apply) {
      try {
        await this.store.softDelete(spaceId, id, SOURCE);
        push.deleted++;
      } catch (error) {
        fail(error, { pageId: id });
      }
    }
    push.deferred = plan.defer.length;
    if (plan.defer.length > 0 || ctx.deferred.length > 0) {
      await vault.writeState(DEFERRED_FILE, { deletes: plan.defer } satisfies DeferredState);
      if (plan.defer.length > 0) this.logger.warn({ spaceId, deferred: plan.defer.length, cap: this.deleteCap }, 'deletes deferred by the cap');
    }
    await ctx.step('pushed');

    if (writeBack.length > 0) {
      const next = await vault.commitFiles(MAIN_REF, main, 'Write page ids of new pages', writeBack);
      await vault.syncWorktree(main);
      status.commits++;
      main = next;
      await ctx.step('ids-written');
    }

    if (push.failures > 0) {
      this.logger.warn({ spaceId, failures: push.failures }, 'last-pushed kept; failed changes retry next cycle');
      return null;
    }
    await vault.updateRef(LAST_PUSHED_REF, main, ctx.lastPushed);
    await vault.updateRef(PAGES_REF, main, ctx.pages);
    await manifest.advance(vault, main);
    await manifest.save(vault);
    await ctx.step('advanced');

    // What the store made of the pushed files (canonical names, collision suffixes) goes back now, so
    // the next cycle with nothing new has nothing to do.
    const wrote = push.created + push.updated + push.deleted + push.moved + push.renamed;
    if (wrote === 0) return ctx.fingerprint;
    const settled = await this.pull(vault, spaceId, main, manifest, new Set(plan.defer), await this.store.treeFingerprint(spaceId));
    if (settled.commit !== main) {
      await vault.updateRef(MAIN_REF, settled.commit, main);
      await vault.syncWorktree(main);
      await vault.updateRef(LAST_PUSHED_REF, settled.commit, main);
      status.commits++;
    }
    await ctx.step('settled');
    // The deferred list may have changed; the memo then misses once and the next cycle lists again.
    return plan.defer.join(',') === ctx.deferred.join(',') ? settled.fingerprint : null;
  }

  private async applyToPage(
    spaceId: string,
    f: Incoming & { id: string },
    ctx: { node: PageNode | undefined; content: string | undefined; previousPath: string | undefined; parent: string | null },
    push: PushStatus,
  ): Promise<void> {
    let node = ctx.node;
    let content = ctx.content;
    if (!node) {
      // A file naming a soft-deleted page of this space brings the page back.
      const page = await this.store.getPage(spaceId, f.id);
      if (!page) return;
      if (page.deletedAt) await this.store.restore(spaceId, f.id, SOURCE);
      node = page;
      content = page.content;
      push.created++;
    }
    const stem = stemOf(f.path);
    const renamed = ctx.previousPath === undefined ? stem !== encodeTitle(node.title) : stem !== stemOf(ctx.previousPath);
    const title = decodeStem(stem);
    if (renamed && title !== node.title) {
      await this.store.rename(spaceId, f.id, title, SOURCE);
      push.renamed++;
    }
    const moved = ctx.previousPath === undefined || dirOf(f.path) !== dirOf(ctx.previousPath);
    if (moved && ctx.parent !== node.parentPageId) {
      await this.store.move(spaceId, f.id, ctx.parent, SOURCE);
      push.moved++;
    }
    if (f.body !== content) {
      await this.store.updateContent(spaceId, f.id, f.body, SOURCE);
      push.updated++;
    }
  }

  /** The page id in the file at each path of a commit; absent paths are left out. */
  private async idsAt(vault: Vault, commit: string, paths: readonly string[]): Promise<Map<string, string | null>> {
    const result = new Map<string, string | null>();
    if (paths.length === 0) return result;
    const blobs = await vault.readBlobs(paths.map((p) => `${commit}:${p}`));
    for (const p of paths) {
      const blob = blobs.get(`${commit}:${p}`);
      if (blob) result.set(p, parsePageFile(blob).id);
    }
    return result;
  }

  private checkSignal(signal: AbortSignal | undefined, spaceId: string, after: CycleStep | 'start'): void {
    if (signal?.aborted) throw new CycleAbortedError(spaceId, after, signal.reason);
  }
}

function depth(path: string): number {
  let n = 0;
  for (const ch of path) if (ch === '/') n++;
  return n;
}
