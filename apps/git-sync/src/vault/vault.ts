import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StaleFencingTokenError } from '../pages/stale-fencing-token.error';
import { GIT_IDENTITY, type GitRunner, type GitRunOptions } from './git-runner';
import { installPreReceiveHook } from './push-policy-hook';
import { installStalePushHook } from './stale-push-hook';
import {
  type ConflictEntry,
  type FileWrite,
  LAST_PUSHED_REF,
  MAIN_REF,
  type MergeTreeResult,
  PAGES_REF,
  type TreeChange,
  type TreeEntry,
  type VaultRefs,
} from './vault.types';

const ZERO_OID = '0000000000000000000000000000000000000000';

/** Who is writing to a vault: the lock hold a cycle runs under. */
export interface VaultHold {
  /** Every git command of the vault is killed when it aborts; a cycle passes its lock's signal. */
  signal?: AbortSignal;
  /** The hold's fencing token; markers and state files carry it, and a newer one is never overwritten. */
  fencingToken?: number;
  /** Who holds the lock (instance id); a cycle marker is removed only by its owner. */
  owner?: string;
}

/** What the cycle-in-progress marker holds. Markers of older versions hold a bare pid and parse as `{}`. */
interface CycleMarker {
  owner?: string;
  fencingToken?: number;
  pid?: number;
}

/** The repository directory of a space's vault; the control plane serves it with `git http-backend`. */
export function vaultPath(dataDir: string, spaceId: string): string {
  return join(dataDir, spaceId);
}

/**
 * One space's git repository: a non-bare repo whose checked-out `main` is what clients clone and push,
 * plus the `pages` mirror branch and the `last-pushed` ref. Everything the sync engine writes goes
 * through plumbing with compare-and-swap ref updates, so an interrupted step leaves refs either old or new.
 */
export class Vault {
  readonly path: string;
  readonly gitDir: string;
  /** Engine-private state (manifest, deferred deletes, crash marker), inside `.git` so clients never see it. */
  readonly stateDir: string;

  private readonly signal: AbortSignal | undefined;
  private readonly hold: VaultHold;

  constructor(
    readonly dataDir: string,
    readonly spaceId: string,
    private readonly git: GitRunner,
    hold: VaultHold = {},
  ) {
    this.hold = hold;
    this.signal = hold.signal;
    this.path = vaultPath(dataDir, spaceId);
    this.gitDir = join(this.path, '.git');
    this.stateDir = join(this.gitDir, 'git-sync');
  }

  run(args: readonly string[], options: GitRunOptions = {}) {
    return this.git.run(['-C', this.path, ...args], this.signal ? { signal: this.signal, ...options } : options);
  }

  private async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8').trim();
  }

  /** Creates the repository on first use, with all three refs on one empty root commit; idempotent. */
  async ensure(): Promise<VaultRefs> {
    if (!existsSync(join(this.gitDir, 'HEAD'))) {
      await mkdir(this.path, { recursive: true });
      await this.git.run(['init', '-q', '-b', 'main', this.path], { signal: this.signal });
    }
    await mkdir(this.stateDir, { recursive: true });
    // Before the early return, so vaults made before the hooks existed get them too.
    await installStalePushHook(this.gitDir);
    await installPreReceiveHook(this.gitDir);
    const refs = await this.readRefs();
    if (refs.main && refs.pages && refs.lastPushed) return refs as VaultRefs;

    // Repeated on every ensure that finds a ref missing, so a crash during creation heals itself.
    const settings: Array<[string, string]> = [
      // Clients push to the checked-out branch; the working tree follows instead of the push being refused.
      ['receive.denyCurrentBranch', 'updateInstead'],
      // The control plane authenticates pushes itself before handing them to `git http-backend`.
      ['http.receivepack', 'true'],
      ['core.autocrlf', 'false'],
      ['core.quotepath', 'false'],
      // A detached background gc would outlive the request that started it.
      ['gc.autoDetach', 'false'],
    ];
    for (const [key, value] of settings) await this.run(['config', key, value]);

    let root = refs.main;
    if (!root) {
      const emptyTree = await this.text(['mktree'], { input: '' });
      root = await this.commitTree(emptyTree, [], 'Create vault');
    }
    const lines = [
      !refs.main ? `create ${MAIN_REF} ${root}` : '',
      !refs.pages ? `create ${PAGES_REF} ${root}` : '',
      !refs.lastPushed ? `create ${LAST_PUSHED_REF} ${root}` : '',
    ].filter(Boolean);
    await this.run(['update-ref', '--stdin'], { input: `start\n${lines.join('\n')}\ncommit\n` });
    await this.run(['reset', '-q', '--hard']);
    return (await this.readRefs()) as VaultRefs;
  }

  async readRefs(): Promise<Partial<VaultRefs>> {
    const out = await this.text([
      'for-each-ref',
      '--format=%(objectname) %(refname)',
      MAIN_REF,
      PAGES_REF,
      LAST_PUSHED_REF,
    ]);
    const refs: Partial<VaultRefs> = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const [oid, name] = line.split(' ');
      if (name === MAIN_REF) refs.main = oid;
      else if (name === PAGES_REF) refs.pages = oid;
      else if (name === LAST_PUSHED_REF) refs.lastPushed = oid;
    }
    return refs;
  }

  // ---- recovery ----

  /**
   * Undoes what a crashed cycle (or a crashed client-side git command) can leave behind: stale lock
   * files, a merge in progress, and an index or working tree that no longer matches `main`. The caller
   * holds the space's lock. A cycle marker of an older token means its owner's hold is over (tokens
   * only grow), so its leftovers may be cleared; a marker of a newer token, or of another owner with
   * the same token, means this caller is the stale one: it gets StaleFencingTokenError and touches
   * nothing.
   */
  async recover(): Promise<{ locks: number; mergeAborted: boolean; worktreeReset: boolean }> {
    await this.assertFence();
    const locks = await this.removeStaleLocks();
    let mergeAborted = false;
    const inProgress = ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply'];
    if (inProgress.some((f) => existsSync(join(this.gitDir, f)))) {
      await this.run(['merge', '--abort'], { okExitCodes: [0, 128] });
      for (const f of inProgress) await rm(join(this.gitDir, f), { recursive: true, force: true });
      mergeAborted = true;
    }
    const crashed = existsSync(this.markerPath());
    // A receive-pack killed inside its push-to-checkout (lock lost, backend
    // timeout, a crashed server) leaves no cycle marker, yet can leave the
    // index or working tree ahead of or behind main. Then every later push
    // is refused ("Working directory has staged changes") and every
    // two-tree read-tree carries the mismatch along, so it is checked here.
    const diverged = !(crashed || mergeAborted || locks > 0) && !(await this.worktreeMatchesHead());
    const reset = crashed || mergeAborted || locks > 0 || diverged;
    if (reset) await this.syncWorktree();
    return { locks, mergeAborted, worktreeReset: reset };
  }

  /** Whether index and working tree both equal HEAD (untracked files aside). */
  private async worktreeMatchesHead(): Promise<boolean> {
    // Refresh first, or files whose stat data merely changed would count as modified.
    await this.run(['update-index', '-q', '--refresh'], { okExitCodes: [0, 1] });
    const { exitCode } = await this.run(['diff-index', '--quiet', 'HEAD', '--'], { okExitCodes: [0, 1] });
    return exitCode === 0;
  }

  private async removeStaleLocks(): Promise<number> {
    let removed = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        // Object directories hold no lock files and are by far the largest; skipping them keeps this cheap.
        if (e.isDirectory() && e.name !== 'objects' && depth < 6) await walk(full, depth + 1);
        else if (e.isFile() && e.name.endsWith('.lock')) {
          await rm(full, { force: true });
          removed++;
        }
      }
    };
    await walk(this.gitDir, 0);
    return removed;
  }

  private markerPath(): string {
    return join(this.stateDir, 'cycle-in-progress');
  }

  private async readMarker(): Promise<CycleMarker | undefined> {
    let text: string;
    try {
      text = await readFile(this.markerPath(), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed !== null && typeof parsed === 'object' ? parsed : {};
    } catch {
      // A bare pid (older versions) or a marker cut short by a crash: a dead cycle of no known token.
      return {};
    }
  }

  /**
   * Throws StaleFencingTokenError when the cycle marker belongs to a later hold than this vault's:
   * another holder has started since, and this one must not touch the repository. Checked before
   * recovery, every ref move and every working tree update.
   */
  async assertFence(): Promise<void> {
    const token = this.hold.fencingToken;
    if (token === undefined) return;
    const marker = await this.readMarker();
    const theirs = marker?.fencingToken;
    if (theirs === undefined) return;
    if (theirs > token || (theirs === token && marker?.owner !== this.hold.owner)) {
      throw new StaleFencingTokenError(this.spaceId, token, theirs);
    }
  }

  /** Marks a cycle as running, with its owner and token; a marker found at the next start means that cycle died or lost its lock mid-way. */
  async markCycleStart(): Promise<void> {
    const marker: CycleMarker = { owner: this.hold.owner, fencingToken: this.hold.fencingToken, pid: process.pid };
    await this.writeAtomically(this.markerPath(), JSON.stringify(marker));
  }

  /** Removes the marker only if it is this hold's: a later holder's marker belongs to a cycle still running. */
  async markCycleEnd(): Promise<boolean> {
    const marker = await this.readMarker();
    if (marker === undefined) return true;
    if (marker.owner !== this.hold.owner || marker.fencingToken !== this.hold.fencingToken) return false;
    await rm(this.markerPath(), { force: true });
    return true;
  }

  /** Brings index and working tree to `main` (HEAD) after the engine moved the ref, so pushes keep being accepted. */
  async syncWorktree(from?: string): Promise<void> {
    await this.assertFence();
    if (from) {
      // A two-tree read-tree touches only the files that differ, where reset would re-check every file.
      const { exitCode } = await this.run(['read-tree', '-m', '-u', from, 'HEAD'], { okExitCodes: [0, 128] });
      if (exitCode === 0) return;
    }
    await this.run(['reset', '-q', '--hard']);
  }

  // ---- reading ----

  async listTree(commit: string): Promise<TreeEntry[]> {
    const out = (await this.run(['ls-tree', '-r', '-z', '--full-tree', commit])).stdout.toString('utf8');
    const entries: TreeEntry[] = [];
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, oid] = record.slice(0, tab).split(' ');
      if (type === 'blob') entries.push({ mode, oid, path: record.slice(tab + 1) });
    }
    return entries;
  }

  async diffTrees(from: string, to: string): Promise<TreeChange[]> {
    if (from === to) return [];
    const out = (await this.run(['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', from, to])).stdout.toString(
      'utf8',
    );
    const parts = out.split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const meta = parts[i];
      if (!meta.startsWith(':')) break;
      const [oldMode, newMode, oldOid, newOid, status] = meta.slice(1).split(' ');
      const path = parts[i + 1];
      // A type change to or from a symlink or submodule is not a page edit.
      if (!oldMode.startsWith('100') && oldMode !== '000000') continue;
      if (!newMode.startsWith('100') && newMode !== '000000') continue;
      changes.push({
        status: status[0] as TreeChange['status'],
        path,
        oldOid: oldOid === ZERO_OID ? null : oldOid,
        newOid: newOid === ZERO_OID ? null : newOid,
        newMode: newMode === '000000' ? null : newMode,
      });
    }
    return changes;
  }

  /** Reads many blobs through one `cat-file --batch` process. */
  async readBlobs(oids: readonly string[]): Promise<Map<string, Buffer>> {
    const unique = [...new Set(oids)];
    const result = new Map<string, Buffer>();
    if (unique.length === 0) return result;
    const out = (await this.run(['cat-file', '--batch'], { input: unique.map((o) => `${o}\n`).join('') })).stdout;
    let pos = 0;
    for (const oid of unique) {
      const nl = out.indexOf(0x0a, pos);
      const header = out.subarray(pos, nl).toString('utf8').split(' ');
      pos = nl + 1;
      if (header[1] === 'missing') continue;
      const size = Number(header[2]);
      result.set(oid, out.subarray(pos, pos + size));
      pos += size + 1;
    }
    return result;
  }

  /** The merge base of two commits, or null when they share no history. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    const { stdout, exitCode } = await this.run(['merge-base', a, b], { okExitCodes: [0, 1] });
    return exitCode === 0 ? stdout.toString('utf8').trim() : null;
  }

  async objectExists(oid: string): Promise<boolean> {
    const { exitCode } = await this.run(['cat-file', '-e', `${oid}^{commit}`], { okExitCodes: [0, 1, 128] });
    return exitCode === 0;
  }

  // ---- writing ----

  /**
   * Writes one commit on `ref` with fast-import: file contents go in inline, so any number of pages
   * costs one process. The ref update is fast-forward only, so a concurrent move of the ref fails
   * the call instead of being overwritten. Returns the new commit.
   */
  async commitFiles(ref: string, parent: string, message: string, files: readonly FileWrite[]): Promise<string> {
    const chunks: Buffer[] = [];
    const push = (s: string) => chunks.push(Buffer.from(s, 'utf8'));
    const msg = Buffer.from(message, 'utf8');
    push(`commit ${ref}\nmark :1\ncommitter ${GIT_IDENTITY.name} <${GIT_IDENTITY.email}> now\ndata ${msg.length}\n`);
    chunks.push(msg);
    push(`\nfrom ${parent}\n`);
    for (const f of files) {
      if (f.content === null) {
        push(`D ${quotePath(f.path)}\n`);
      } else {
        push(`M 100644 inline ${quotePath(f.path)}\ndata ${f.content.length}\n`);
        chunks.push(f.content);
        push('\n');
      }
    }
    push('\nget-mark :1\n');
    const out = await this.run(['fast-import', '--quiet', '--date-format=now'], { input: Buffer.concat(chunks) });
    return out.stdout.toString('utf8').trim();
  }

  /**
   * Merges `theirs` into `ours` without touching the index or working tree. Returns the merged tree and
   * the conflicted entries (by stage); conflicted files in the tree hold markers and must be resolved.
   */
  async mergeTree(ours: string, theirs: string): Promise<MergeTreeResult> {
    const { stdout } = await this.run(['merge-tree', '--write-tree', '-z', ours, theirs], { okExitCodes: [0, 1] });
    const parts = stdout.toString('utf8').split('\0');
    const tree = parts[0];
    const conflicts: ConflictEntry[] = [];
    for (let i = 1; i < parts.length && parts[i] !== ''; i++) {
      const tab = parts[i].indexOf('\t');
      const [mode, oid, stage] = parts[i].slice(0, tab).split(' ');
      conflicts.push({ mode, oid, stage: Number(stage) as 1 | 2 | 3, path: parts[i].slice(tab + 1) });
    }
    return { tree, conflicts };
  }

  /**
   * A tree equal to `base` with some paths replaced or removed, built in a private index file so the
   * checked-out index is never touched.
   */
  async editTree(
    base: string,
    edits: ReadonlyArray<{ path: string; mode: string; oid: string } | { path: string; remove: true }>,
  ): Promise<string> {
    const indexFile = join(this.stateDir, `edit-${randomBytes(4).toString('hex')}.index`);
    const env = { GIT_INDEX_FILE: indexFile };
    try {
      await this.run(['read-tree', base], { env });
      const info = edits
        .map((e) => ('remove' in e ? `0 ${ZERO_OID}\t${e.path}\0` : `${e.mode} ${e.oid}\t${e.path}\0`))
        .join('');
      await this.run(['update-index', '-z', '--index-info'], { env, input: info });
      return await this.text(['write-tree'], { env });
    } finally {
      await rm(indexFile, { force: true });
    }
  }

  /**
   * A three-way merge of one file's versions. Hunks only one side changed are taken from that side; a
   * hunk both changed takes `ours`. Returns the merged blob and how many hunks conflicted.
   */
  async mergeFile(
    base: Buffer,
    ours: Buffer,
    theirs: Buffer,
  ): Promise<{ oid: string; merged: Buffer; conflicts: number }> {
    const dir = join(this.stateDir, `merge-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    try {
      const [b, o, t] = ['base', 'ours', 'theirs'].map((name) => join(dir, name));
      await Promise.all([writeFile(b, base), writeFile(o, ours), writeFile(t, theirs)]);
      // merge-file exits with the number of conflicts (capped at 127), negative on error.
      const counted = await this.run(['merge-file', '-p', o, b, t], { okExitCodes: range(0, 127) });
      const merged = await this.run(['merge-file', '-p', '--ours', o, b, t]);
      const oid = await this.text(['hash-object', '-w', '--stdin'], { input: merged.stdout });
      return { oid, merged: merged.stdout, conflicts: counted.exitCode };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async commitTree(tree: string, parents: readonly string[], message: string): Promise<string> {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
    return this.text(args, { input: message });
  }

  /** Compare-and-swap: moves `ref` to `next` only if it still points at `expected`. */
  async updateRef(ref: string, next: string, expected: string): Promise<void> {
    if (next === expected) return;
    await this.assertFence();
    await this.run(['update-ref', ref, next, expected]);
  }

  // ---- engine state files ----

  async readState<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.stateDir, name), 'utf8')) as T;
    } catch {
      // Missing or torn state is rebuilt by the caller from git, which is the source of truth.
      return undefined;
    }
  }

  /**
   * Write-then-rename, so a crash leaves either the old or the new file, never half of one. The file
   * carries the writer's token (`fencingToken`), and a file written by a later token is never
   * overwritten by an earlier one: StaleFencingTokenError instead.
   */
  async writeState(name: string, value: object): Promise<void> {
    const target = join(this.stateDir, name);
    const token = this.hold.fencingToken;
    if (token !== undefined) {
      const current = (await this.readState<{ fencingToken?: unknown }>(name))?.fencingToken;
      if (typeof current === 'number' && current > token)
        throw new StaleFencingTokenError(this.spaceId, token, current);
      await this.assertFence();
    }
    await this.writeAtomically(target, JSON.stringify(token === undefined ? value : { ...value, fencingToken: token }));
  }

  /** A temp file unique to this write, then a rename over the target: readers see the old file or the new one. */
  private async writeAtomically(target: string, text: string): Promise<void> {
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, text);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** fast-import takes a path verbatim unless it starts with a quote or holds a newline; those need C-style quoting. */
export function quotePath(path: string): string {
  if (!/["\\\n\r]/.test(path) && !path.startsWith('"')) return path;
  let out = '"';
  for (const byte of Buffer.from(path, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}
