import { randomUUID } from 'node:crypto';
import { InvalidSpaceIdError } from '../pages/invalid-space-id.error';
import type { ConflictStore, NewConflict } from '../pages/conflict-store';
import type { PageStore } from '../pages/page-store';
import type { PageNode } from '../pages/page-store.types';
import { StaleFencingTokenError } from '../pages/stale-fencing-token.error';
import { isUuid } from '../pages/uuid';
import { assertDataDirUsable } from '../vault/data-dir';
import type { GitRunner } from '../vault/git-runner';
import { blobOid, parsePageFile, serializePage } from '../vault/page-file';
import { isManagedPath, layoutPages } from '../vault/page-layout';
import { Vault, type VaultHold } from '../vault/vault';
import { VaultManifest } from '../vault/vault-manifest';
import {
  type ConflictEntry,
  type FileWrite,
  LAST_PUSHED_REF,
  MAIN_REF,
  PAGES_REF,
  type VaultRefs,
} from '../vault/vault.types';
import { CycleAbortedError } from './cycle-aborted.error';
import {
  type CycleStatus,
  type CycleStep,
  emptyCycleStatus,
  type PushStatus,
  type RunCycleOptions,
} from './cycle-status';
import {
  candidateNewIds,
  type KnownPage,
  mirrorPathsToCheck,
  type PushAction,
  type PushedFile,
  type PushPlan,
  planPush,
  readPushedFile,
} from './push-plan';
import { type EngineLogger, silentLogger } from './engine-logger';

export interface SyncEngineOptions {
  store: PageStore;
  /** Where the wiki's side of a hunk that `main` won is kept; without it such conflicts are only logged. */
  conflicts?: ConflictStore;
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
  private readonly conflicts: ConflictStore | undefined;
  private readonly git: GitRunner;
  private readonly logger: EngineLogger;
  private gitChecked: Promise<void> | undefined;
  private readonly memos = new Map<string, SpaceMemo>();
  /** Names this engine in the cycle markers it writes when the caller names no owner. */
  private readonly owner = `engine:${process.pid}:${randomUUID()}`;

  constructor(private readonly options: SyncEngineOptions) {
    this.store = options.store;
    this.conflicts = options.conflicts;
    this.git = options.git;
    this.deleteCap = options.deleteCap ?? 500;
    this.logger = options.logger ?? silentLogger;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /** With a hold, every git command of the vault is killed when its signal aborts, and its markers and state files are fenced. */
  vault(spaceId: string, hold?: VaultHold): Vault {
    if (!isUuid(spaceId)) throw new InvalidSpaceIdError(spaceId);
    return new Vault(this.options.dataDir, spaceId.toLowerCase(), this.git, hold);
  }

  /** Fails with a typed error when git is missing or the data directory cannot be used; writes nothing. */
  async checkPrerequisites(): Promise<void> {
    await assertDataDirUsable(this.options.dataDir);
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
    const { signal, fencingToken } = options;
    this.checkSignal(signal, spaceId, 'start');

    const vault = this.vault(spaceId, { signal, fencingToken, owner: options.owner ?? this.owner });
    const refs = await vault.ensure();
    const recovery = await vault.recover();
    if (recovery.worktreeReset) this.logger.warn({ spaceId, ...recovery }, 'recovered vault from an interrupted cycle');
    await vault.markCycleStart();
    try {
      const status = await this.cycle(vault, spaceId, refs, signal, fencingToken);
      await vault.markCycleEnd();
      // The orchestrator logs each cycle once, with its trigger and duration.
      this.logger.debug({ spaceId, ...status }, 'git-sync cycle done');
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

  private async cycle(
    vault: Vault,
    spaceId: string,
    refs: VaultRefs,
    signal: AbortSignal | undefined,
    fencingToken: number | undefined,
  ): Promise<CycleStatus> {
    const status = emptyCycleStatus();
    // Before each store write: the step has not ended, but a lost lock must stop the writing now.
    const fence = (after: CycleStep) => {
      this.checkSignal(signal, spaceId, after);
      return { fencingToken };
    };
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
      memo?.fingerprint === fingerprint &&
      memo.manifest === manifest &&
      manifest.commit === refs.pages &&
      memo.deferredKey === deferredKey;
    const pulled: PullResult = unchanged
      ? { commit: refs.pages, written: 0, deleted: 0, nodes: null, fingerprint }
      : await this.pull(vault, spaceId, refs.pages, manifest, new Set(deferred), fingerprint);
    status.pull.written = pulled.written;
    status.pull.deleted = pulled.deleted;
    if (pulled.commit !== refs.pages) status.commits++;
    await step('pulled');

    // Merge the mirror into main; main wins every conflicting path.
    const merged = await this.merge(vault, refs.main, pulled.commit, refs.pages, () => fence('pulled'));
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
      fence: () => fence('merged'),
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
    const contents =
      stale.length > 0
        ? await this.store.readContents(
            spaceId,
            stale.map((n) => n.id),
          )
        : new Map<string, string>();

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

  private async merge(
    vault: Vault,
    main: string,
    pages: string,
    mirrorParent: string,
    fence: () => { fencingToken?: number },
  ): Promise<{ main: string; conflicts: number; commits: number }> {
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
      const records = await this.resolveConflicts(vault, conflicts, paths);
      resolved = await vault.editTree(
        tree,
        records.map((r) => r.edit),
      );
      // Recorded before main moves: a cycle that dies now records twice rather than not at all.
      await this.conflicts?.record(
        vault.spaceId,
        records.flatMap((r) => (r.record ? [r.record] : [])),
        fence(),
      );
      this.logger.warn(
        { spaceId: vault.spaceId, paths },
        'merge conflicts: main kept the hunks both sides changed; the wiki side is recorded',
      );
    }
    const message = paths.length
      ? `Merge wiki changes\n\nHunks changed on both sides kept as on main:\n${paths.map((p) => `  ${p}`).join('\n')}\n`
      : 'Merge wiki changes';
    const commit = await vault.commitTree(resolved, [main, pages], message);
    await vault.updateRef(MAIN_REF, commit, main);
    await vault.syncWorktree(main);
    return { main: commit, conflicts: paths.length, commits: 1 };
  }

  /**
   * Per conflicted path: where both sides have the file, a per-hunk merge in which `main` wins only
   * the hunks both changed; where one side deleted it, `main`'s side (its version, or its deletion).
   */
  private async resolveConflicts(
    vault: Vault,
    entries: readonly ConflictEntry[],
    paths: readonly string[],
  ): Promise<
    Array<{
      edit: { path: string; mode: string; oid: string } | { path: string; remove: true };
      record: NewConflict | null;
    }>
  > {
    const blobs = await vault.readBlobs(entries.map((e) => e.oid));
    const out = [];
    for (const path of paths) {
      const stage = (n: 1 | 2 | 3) => entries.find((e) => e.path === path && e.stage === n);
      const [base, ours, theirs] = [stage(1), stage(2), stage(3)];
      const bytes = (e: ConflictEntry | undefined) => (e ? (blobs.get(e.oid) ?? Buffer.alloc(0)) : null);
      const text = (e: ConflictEntry | undefined) => bytes(e)?.toString('utf8') ?? null;
      let edit: { path: string; mode: string; oid: string } | { path: string; remove: true };
      // Whether the wiki's page text lost anything; differing only in the id front matter (a new
      // page's id not yet written back into main's file) is not a loss worth a record.
      let wikiLost = true;
      if (ours && theirs) {
        const merged = await vault.mergeFile(bytes(base) ?? Buffer.alloc(0), bytes(ours)!, bytes(theirs)!);
        edit = { path, mode: ours.mode, oid: merged.oid };
        wikiLost = parsePageFile(merged.merged).body !== parsePageFile(bytes(theirs)!).body;
      } else {
        edit = ours ? { path, mode: ours.mode, oid: ours.oid } : { path, remove: true };
      }
      const pageId =
        [theirs, ours, base].map((e) => (e ? parsePageFile(bytes(e)!).id : null)).find((id) => id !== null) ?? null;
      out.push({
        edit,
        record: wikiLost ? { pageId, path, base: text(base), wiki: text(theirs), git: text(ours) } : null,
      });
    }
    return out;
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
      fence: () => { fencingToken?: number };
      fingerprint: string;
    },
  ): Promise<string | null> {
    const { manifest, status } = ctx;
    const push = status.push;
    let main = ctx.main;
    const plan = await this.planPush(vault, spaceId, ctx);
    push.heldBack = plan.heldBack.length;
    if (plan.heldBack.length > 0) this.logger.warn({ spaceId, heldBack: plan.heldBack }, 'pushed files held back');
    const failed = await this.applyPlan(spaceId, plan.actions, push, ctx.fence);

    push.deferred = plan.deferred.length;
    if (plan.deferred.length > 0 || ctx.deferred.length > 0) {
      await vault.writeState(DEFERRED_FILE, { deletes: plan.deferred } satisfies DeferredState);
      if (plan.deferred.length > 0)
        this.logger.warn(
          { spaceId, deferred: plan.deferred.length, cap: this.deleteCap },
          'deletes deferred by the cap',
        );
    }
    await ctx.step('pushed');

    const writeBack: FileWrite[] = plan.writeBack
      .filter((w) => !failed.has(w.id))
      .map((w) => ({ path: w.path, content: serializePage(w.id, w.body) }));
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
    const settled = await this.pull(
      vault,
      spaceId,
      main,
      manifest,
      new Set(plan.deferred),
      await this.store.treeFingerprint(spaceId),
    );
    if (settled.commit !== main) {
      await vault.updateRef(MAIN_REF, settled.commit, main);
      await vault.syncWorktree(main);
      await vault.updateRef(LAST_PUSHED_REF, settled.commit, main);
      status.commits++;
    }
    await ctx.step('settled');
    // The deferred list may have changed; the memo then misses once and the next cycle lists again.
    return plan.deferred.join(',') === ctx.deferred.join(',') ? settled.fingerprint : null;
  }

  /** Reads what the planner needs from git and the store; writes nothing. */
  private async planPush(
    vault: Vault,
    spaceId: string,
    ctx: { lastPushed: string; main: string; manifest: VaultManifest; nodes: PageNode[]; deferred: string[] },
  ): Promise<PushPlan> {
    const { manifest } = ctx;
    const changes = (await vault.diffTrees(ctx.lastPushed, ctx.main)).filter((c) => isManagedPath(c.path));
    const toRead = changes.flatMap((c) =>
      c.newOid !== null && manifest.get(c.path)?.oid !== c.newOid ? [{ path: c.path, oid: c.newOid }] : [],
    );
    const blobs = await vault.readBlobs(toRead.map((f) => f.oid));
    const files: PushedFile[] = toRead.map((f) => readPushedFile(f.path, f.oid, blobs.get(f.oid) ?? Buffer.alloc(0)));

    const input = { spaceId, basis: ctx.lastPushed };
    const named = [
      ...files.flatMap((f) => (f.id ? [f.id] : [])),
      ...files.flatMap((f) => (f.id === null && manifest.get(f.path)?.id ? [manifest.get(f.path)!.id!] : [])),
      ...changes.flatMap((c) => (c.newOid === null && manifest.get(c.path)?.id ? [manifest.get(c.path)!.id!] : [])),
      ...ctx.deferred,
      ...candidateNewIds(input, files),
    ];
    const known = await this.store.findIds(spaceId, named);
    const liveNodes = new Map(ctx.nodes.map((n) => [n.id, n]));
    const contents = await this.store.readContents(
      spaceId,
      [...known].flatMap(([id, state]) => (state.deleted ? [] : [id])),
    );
    const pages = new Map<string, KnownPage>();
    for (const [id, state] of known) {
      const node = state.deleted ? undefined : liveNodes.get(id);
      const content = contents.get(id);
      if (node && content !== undefined) {
        pages.set(id, { title: node.title, parentPageId: node.parentPageId, content, deleted: false });
        continue;
      }
      // Soft-deleted (a file naming it brings it back), or written since the tree was listed.
      const page = await this.store.getPage(spaceId, id);
      if (page)
        pages.set(id, {
          title: page.title,
          parentPageId: page.parentPageId,
          content: page.content,
          deleted: page.deletedAt !== null,
        });
    }
    const idsInMain = await this.idsAt(vault, ctx.main, mirrorPathsToCheck(manifest, files));
    return planPush({
      ...input,
      mirror: manifest,
      changes,
      files,
      pages,
      liveIds: new Set(liveNodes.keys()),
      idsInMain,
      deferred: ctx.deferred,
      deleteCap: this.deleteCap,
    });
  }

  /**
   * Applies a plan's actions in order. A failed action is counted and logged, and the page's later
   * actions still run; `last-pushed` then stays put so the next cycle retries. Returns the failed ids.
   */
  private async applyPlan(
    spaceId: string,
    actions: readonly PushAction[],
    push: PushStatus,
    fence: () => { fencingToken?: number },
  ): Promise<Set<string>> {
    const failed = new Set<string>();
    for (const action of actions) {
      const options = fence();
      try {
        switch (action.kind) {
          case 'create':
            await this.store.createPage(
              spaceId,
              { id: action.id, parentPageId: action.parentPageId, title: action.title, content: action.body },
              SOURCE,
              options,
            );
            push.created++;
            break;
          case 'restore':
            await this.store.restore(spaceId, action.id, SOURCE, options);
            push.created++;
            break;
          case 'rename':
            await this.store.rename(spaceId, action.id, action.title, SOURCE, options);
            push.renamed++;
            break;
          case 'move':
            await this.store.move(spaceId, action.id, action.parentPageId, SOURCE, undefined, options);
            push.moved++;
            break;
          case 'update':
            await this.store.updateContent(spaceId, action.id, action.body, SOURCE, options);
            push.updated++;
            break;
          case 'delete':
            await this.store.softDelete(spaceId, action.id, SOURCE, options);
            push.deleted++;
            break;
        }
      } catch (error) {
        // A lost lock is not one failed change: nothing more may be written.
        if (error instanceof StaleFencingTokenError) throw error;
        failed.add(action.id);
        push.failures++;
        this.logger.error(
          {
            spaceId,
            err: error,
            action: action.kind,
            pageId: action.id,
            path: 'path' in action ? action.path : undefined,
          },
          'git-sync push change failed',
        );
      }
    }
    return failed;
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
