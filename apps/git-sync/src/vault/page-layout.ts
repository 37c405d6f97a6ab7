import type { PageNode } from '../pages/page-store.types';
import { collisionKey, encodeTitle } from './filename-codec';

export const PAGE_EXTENSION = '.md';

/** Layout only needs the tree shape and titles, so callers can pass the store's listing as is. */
export type LayoutNode = Pick<PageNode, 'id' | 'parentPageId' | 'title' | 'createdAt'>;

/**
 * Where every page lives in the vault: `<Title>.md`, children under `<Title>/`.
 *
 * Siblings whose names would clash on any supported file system get ` (2)`, ` (3)`…, handed out by
 * age (creation time, then id) so that adding a page never renames an older one. A page whose parent
 * is not in the list (deleted, or in a cycle) is laid out at the root, so no live page is ever hidden.
 */
export function layoutPages(nodes: readonly LayoutNode[]): Map<string, string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parentOf = (n: LayoutNode): string | null =>
    n.parentPageId !== null && byId.has(n.parentPageId) ? n.parentPageId : null;

  const children = new Map<string | null, LayoutNode[]>();
  for (const n of nodes) {
    // Pages caught in a parent cycle can never be reached from the root; they join the root level.
    const parent = isRooted(n, byId, parentOf) ? parentOf(n) : null;
    const list = children.get(parent);
    if (list) list.push(n);
    else children.set(parent, [n]);
  }

  const paths = new Map<string, string>();
  // Breadth-first and iterative: nothing bounds the depth of a user's tree.
  const queue: Array<{ parent: string | null; dir: string }> = [{ parent: null, dir: '' }];
  while (queue.length > 0) {
    const { parent, dir } = queue.shift()!;
    const taken = new Set<string>();
    for (const n of [...(children.get(parent) ?? [])].sort(byAge)) {
      const stem = uniqueStem(encodeTitle(n.title), taken);
      paths.set(n.id, `${dir}${stem}${PAGE_EXTENSION}`);
      if (children.has(n.id)) queue.push({ parent: n.id, dir: `${dir}${stem}/` });
    }
  }
  return paths;
}

function isRooted(
  node: LayoutNode,
  byId: Map<string, LayoutNode>,
  parentOf: (n: LayoutNode) => string | null,
): boolean {
  const seen = new Set<string>([node.id]);
  let parent = parentOf(node);
  while (parent !== null) {
    if (seen.has(parent)) return false;
    seen.add(parent);
    parent = parentOf(byId.get(parent)!);
  }
  return true;
}

function byAge(a: LayoutNode, b: LayoutNode): number {
  const diff = a.createdAt.getTime() - b.createdAt.getTime();
  if (diff !== 0) return diff;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Reserves both the file (`stem.md`) and the directory (`stem`) name: a page titled `x.md` has a
 * directory named like the file of a sibling titled `x`.
 */
export function uniqueStem(base: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const stem = n === 1 ? base : `${base} (${n})`;
    const dirKey = collisionKey(stem);
    const fileKey = collisionKey(stem + PAGE_EXTENSION);
    if (taken.has(dirKey) || taken.has(fileKey)) continue;
    taken.add(dirKey);
    taken.add(fileKey);
    return stem;
  }
}

/** Vault paths the engine manages: markdown files outside any dot-directory. Everything else is left alone. */
export function isManagedPath(path: string): boolean {
  if (!path.endsWith(PAGE_EXTENSION)) return false;
  const segments = path.split('/');
  return segments.every((s) => s.length > 0 && !s.startsWith('.'));
}

/** The file-name stem of a page path (`a/b/Title.md` → `Title`). */
export function stemOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.slice(0, -PAGE_EXTENSION.length);
}

/** The directory of a path, '' at the root. */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}
