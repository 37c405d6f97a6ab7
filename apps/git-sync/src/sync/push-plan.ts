import { decodeStem, encodeTitle } from '../vault/filename-codec';
import { parsePageFile } from '../vault/page-file';
import { dirOf, PAGE_EXTENSION, stemOf } from '../vault/page-layout';
import { planDeletes } from './delete-plan';
import { derivedPageId } from './derived-page-id';

/** What the mirror (`pages` branch, as of the last cycle) holds at a path. */
export interface MirrorEntry {
  oid: string;
  id: string | null;
}

/** The mirror as the planner reads it; `VaultManifest` is one. */
export interface MirrorIndex {
  readonly entries: ReadonlyMap<string, MirrorEntry>;
  get(path: string): MirrorEntry | undefined;
  /** Path of a page id; with duplicated ids the first path in sort order. */
  pathOf(id: string): string | undefined;
}

/** A page file of `main` that differs from the mirror, parsed. */
export interface PushedFile {
  path: string;
  oid: string;
  id: string | null;
  body: string;
  /** Set when the file must not reach its page (conflict markers); the reason is reported. */
  heldBack?: string;
}

/** A store page named by a pushed file or a delete, live or soft-deleted. */
export interface KnownPage {
  title: string;
  parentPageId: string | null;
  content: string;
  deleted: boolean;
}

export interface PushPlanInput {
  spaceId: string;
  /** The `last-pushed` commit: derived ids of new pages are keyed on it. */
  basis: string;
  mirror: MirrorIndex;
  /** Managed paths that differ between `last-pushed` and `main`; `newOid` null for a removal. */
  changes: ReadonlyArray<{ path: string; newOid: string | null }>;
  /** Every changed path whose blob differs from the mirror's, parsed. */
  files: ReadonlyArray<PushedFile>;
  /** Store state of every id the files, the removals, the deferred list and the derived ids name. */
  pages: ReadonlyMap<string, KnownPage>;
  /** Ids of the live pages in the store's tree: the pages a file may sit under. */
  liveIds: ReadonlySet<string>;
  /** The id in `main`'s file at mirror paths that have no changed file; absent paths are left out. */
  idsInMain: ReadonlyMap<string, string | null>;
  /** Deletes held back by earlier cycles. */
  deferred: readonly string[];
  deleteCap: number;
}

export type PushAction =
  | { kind: 'create'; id: string; path: string; title: string; parentPageId: string | null; body: string }
  | { kind: 'restore'; id: string; path: string }
  | { kind: 'rename'; id: string; path: string; title: string }
  | { kind: 'move'; id: string; path: string; parentPageId: string | null }
  | { kind: 'update'; id: string; path: string; body: string }
  | { kind: 'delete'; id: string };

export interface PushPlan {
  /** In the order they must be applied: creates parents first, then existing pages, then deletes. */
  actions: PushAction[];
  /** Deletes over the cap, for a later cycle. */
  deferred: string[];
  /** Files of new pages that must get their id written back into `main`, with the page it belongs to. */
  writeBack: Array<{ path: string; id: string; body: string }>;
  /** Files not applied, with why. */
  heldBack: Array<{ path: string; reason: string }>;
}

// A line of each of git's three markers, in order: what an unresolved merge leaves in a file.
const CONFLICT_MARKERS = /^<{7}(?: .*)?\r?\n[\s\S]*?^={7}\r?\n[\s\S]*?^>{7}(?: .*)?$/m;

/** Whether a text holds an unresolved merge conflict. */
export function hasConflictMarkers(text: string): boolean {
  return CONFLICT_MARKERS.test(text);
}

/** Parses a pushed page file; one with conflict markers is held back, so markers never reach a page. */
export function readPushedFile(path: string, oid: string, bytes: Buffer): PushedFile {
  const parsed = parsePageFile(bytes);
  const file: PushedFile = { path, oid, ...parsed };
  if (hasConflictMarkers(parsed.body)) file.heldBack = 'it holds merge conflict markers; resolve them and push again';
  return file;
}

/** Paths whose id in `main` the planner needs (`idsInMain`): mirror paths of ids moved elsewhere. */
export function mirrorPathsToCheck(mirror: MirrorIndex, files: readonly PushedFile[]): string[] {
  const changed = new Set(files.map((f) => f.path));
  const paths = new Set<string>();
  for (const f of files) {
    const mirrorPath = f.id ? mirror.pathOf(f.id) : undefined;
    if (mirrorPath && !changed.has(mirrorPath)) paths.add(mirrorPath);
  }
  return [...paths].sort();
}

/** Stands in for a blob id when deriving the id of a page made for a folder. */
const FOLDER_BASIS = 'folder';

/** The derived id a pushed file gets if it becomes a new page. */
export function derivedIdOf(
  input: Pick<PushPlanInput, 'spaceId' | 'basis'>,
  file: Pick<PushedFile, 'path' | 'oid'>,
): string {
  return derivedPageId(input.spaceId, input.basis, file.path, file.oid);
}

/**
 * Every id the plan could give a new page (a file's, or a folder page's above it), so the caller can
 * tell the planner which of them a previous, interrupted cycle already created.
 */
export function candidateNewIds(
  input: Pick<PushPlanInput, 'spaceId' | 'basis'>,
  files: readonly PushedFile[],
): string[] {
  const ids = new Set<string>();
  for (const f of files) {
    ids.add(derivedIdOf(input, f));
    for (let dir = dirOf(f.path); dir !== ''; dir = dirOf(dir))
      ids.add(derivedIdOf(input, { path: dir + PAGE_EXTENSION, oid: FOLDER_BASIS }));
  }
  return [...ids];
}

/**
 * Turns what `main` gained since `last-pushed` into page writes. Pure: every fact about git and the
 * store comes in through `input`, so the rules (which file is a page's own, rename versus move, new
 * pages under new pages, capped deletes) are tested without either.
 */
export function planPush(input: PushPlanInput): PushPlan {
  const { mirror, pages } = input;
  const known = (id: string | null): id is string => id !== null && pages.has(id);
  const isLive = (id: string) => pages.get(id)?.deleted === false;

  // Files equal to the mirror came from the store: pushing them back could only undo a newer wiki edit.
  const present = new Set<string>();
  const removedPaths: string[] = [];
  const pathToId = new Map<string, string>();
  for (const [path, entry] of mirror.entries) if (entry.id) pathToId.set(path, entry.id);
  for (const c of input.changes) {
    if (c.newOid === null) {
      removedPaths.push(c.path);
      pathToId.delete(c.path);
      continue;
    }
    const entry = mirror.get(c.path);
    if (entry && entry.oid === c.newOid) {
      if (entry.id) present.add(entry.id);
      continue;
    }
    pathToId.delete(c.path);
  }

  const heldBack: PushPlan['heldBack'] = [];
  const incoming: Array<PushedFile & { stripped?: boolean }> = [];
  for (const f of [...input.files].sort(byPath)) {
    if (f.heldBack !== undefined) {
      heldBack.push({ path: f.path, reason: f.heldBack });
      // Its page stays as it is, and is not deleted for having "moved" here.
      const id = f.id ?? mirror.get(f.path)?.id ?? null;
      if (id) present.add(id);
      continue;
    }
    // A file whose id front matter was removed stays the page it was at this path.
    const previous = f.id === null ? mirror.get(f.path)?.id : undefined;
    incoming.push(previous && known(previous) ? { ...f, id: previous, stripped: true } : f);
  }

  // Sort files carrying a known id into the page's own file and copies of it; the rest are new pages.
  const creates: PushedFile[] = [];
  const primaries: Array<PushedFile & { id: string; stripped?: boolean }> = [];
  const byId = new Map<string, Array<PushedFile & { stripped?: boolean }>>();
  for (const f of incoming) {
    if (known(f.id)) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
    else creates.push(f);
  }
  for (const [id, files] of [...byId].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const mirrorPath = mirror.pathOf(id);
    let primary = files.find((f) => f.path === mirrorPath);
    // The page's file still in main at its old path keeps the page; a new file carrying its id is a copy.
    if (!primary && !(mirrorPath && input.idsInMain.get(mirrorPath) === id)) primary = files[0];
    for (const f of files) {
      if (f === primary) primaries.push({ ...f, id });
      else creates.push(f);
    }
    if (primary) present.add(id);
  }
  for (const p of primaries) pathToId.set(p.path, p.id);

  // A folder with no page of its own gets one, so the tree stays as pushed instead of flattening.
  const createPaths = new Set(creates.map((f) => f.path));
  for (const f of [...creates, ...primaries]) {
    for (let dir = dirOf(f.path); dir !== ''; dir = dirOf(dir)) {
      const path = dir + PAGE_EXTENSION;
      if (pathToId.has(path) || createPaths.has(path)) continue;
      createPaths.add(path);
      creates.push({ path, oid: FOLDER_BASIS, id: null, body: '' });
    }
  }

  const createdIds = new Set<string>();
  const isParentCandidate = (id: string) => input.liveIds.has(id) || createdIds.has(id);
  const resolveParent = (path: string): string | null => {
    for (let dir = dirOf(path); dir !== ''; dir = dirOf(dir)) {
      const id = pathToId.get(dir + PAGE_EXTENSION);
      if (id && isParentCandidate(id)) return id;
    }
    return null;
  };

  const actions: PushAction[] = [];
  const writeBack: PushPlan['writeBack'] = [];
  // New pages, parents first so a new directory's page exists before its children.
  creates.sort((a, b) => depth(a.path) - depth(b.path) || byPath(a, b));
  for (const f of creates) {
    const id = derivedIdOf(input, f);
    if (pages.has(id)) {
      // Created by a cycle that died before writing the id back: finish that work instead of duplicating.
      primaries.push({ ...f, id });
    } else {
      actions.push({
        kind: 'create',
        id,
        path: f.path,
        title: decodeStem(stemOf(f.path)),
        parentPageId: resolveParent(f.path),
        body: f.body,
      });
    }
    createdIds.add(id);
    pathToId.set(f.path, id);
    writeBack.push({ path: f.path, id, body: f.body });
  }

  // Existing pages: content, title and parent from the file.
  for (const f of primaries) {
    // The id goes back into the file, or the next edit of it would look like a new page.
    if (f.stripped) writeBack.push({ path: f.path, id: f.id, body: f.body });
    const page = pages.get(f.id)!;
    if (page.deleted) actions.push({ kind: 'restore', id: f.id, path: f.path });
    const previousPath = mirror.pathOf(f.id);
    const stem = stemOf(f.path);
    const renamed = previousPath === undefined ? stem !== encodeTitle(page.title) : stem !== stemOf(previousPath);
    const title = decodeStem(stem);
    if (renamed && title !== page.title) actions.push({ kind: 'rename', id: f.id, path: f.path, title });
    const parentPageId = resolveParent(f.path);
    const moved = previousPath === undefined || dirOf(f.path) !== dirOf(previousPath);
    if (moved && parentPageId !== page.parentPageId)
      actions.push({ kind: 'move', id: f.id, path: f.path, parentPageId });
    if (f.body !== page.content) actions.push({ kind: 'update', id: f.id, path: f.path, body: f.body });
  }

  // Deletes, capped per cycle; the rest are remembered, and kept out of the mirror meanwhile.
  const requested = removedPaths.flatMap((p) => {
    const id = mirror.get(p)?.id;
    return id ? [id] : [];
  });
  const deletes = planDeletes({
    deferred: input.deferred.filter((id) => isLive(id) && !present.has(id)),
    requested: requested.filter((id) => isLive(id) && !present.has(id)),
    cap: input.deleteCap,
  });
  for (const id of deletes.apply) actions.push({ kind: 'delete', id });
  return { actions, deferred: deletes.defer, writeBack, heldBack };
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function depth(path: string): number {
  let n = 0;
  for (const ch of path) if (ch === '/') n++;
  return n;
}
