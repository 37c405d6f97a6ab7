import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase } from './pages/database';
import type { Database } from './pages/database.types';
import { ConflictStore } from './pages/conflict-store';
import { PageStore } from './pages/page-store';
import type { CycleStep } from './sync/cycle-status';
import { type EngineLogger, silentLogger } from './sync/engine-logger';
import { SyncEngine } from './sync/sync-engine';
import { assertDataDirUsable } from './vault/data-dir';
import { GitRunner } from './vault/git-runner';
import { vaultPath } from './vault/vault';

export interface EngineOptions {
  /** Holds one vault per space and, without `databaseUrl`, the embedded database. */
  dataDir: string;
  /** PostgreSQL connection string; without it PGlite under `dataDir` is used. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); lets several deployments or test runs share a database. */
  databaseSchema?: string;
  /** Most page deletes a cycle applies from git; more are deferred to later cycles. Default 500. */
  deleteCap?: number;
  /** Timeout of every single git invocation. Default 30 s. */
  gitTimeoutMs?: number;
  /** git executable to use; resolved on PATH. */
  gitBinary?: string;
  logger?: EngineLogger;
  onStep?: (step: CycleStep, spaceId: string) => void | Promise<void>;
}

export interface Engine {
  db: Kysely<Database>;
  backend: 'postgres' | 'pglite';
  pages: PageStore;
  conflicts: ConflictStore;
  /** Runs a space's sync cycles, and opens its vault. */
  sync: SyncEngine;
  git: GitRunner;
  dataDir: string;
  /** The repository directory of a space's vault (it exists once a cycle has run or `engine.vault(id).ensure()` was called). */
  vaultPath(spaceId: string): string;
  close(): Promise<void>;
}

/**
 * Wires the page store, git and the sync engine. Checks the data directory and git before opening
 * anything, so bad configuration fails with a typed error and leaves nothing behind.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const dataDir = resolve(options.dataDir);
  const git = new GitRunner({ timeoutMs: options.gitTimeoutMs, binary: options.gitBinary, home: dataDir });
  // git first: without it, nothing is created.
  await git.version();
  await assertDataDirUsable(dataDir, { create: true });

  const handle = await openDatabase<Database>({
    dataDir,
    databaseUrl: options.databaseUrl,
    schema: options.databaseSchema,
    applicationName: `git-sync:${process.pid}`,
    onConnectionError: (err) =>
      (options.logger ?? silentLogger).warn(
        { err: { message: err.message, code: (err as { code?: unknown }).code } },
        'database connection lost; it is replaced on next use',
      ),
  });
  const pages = new PageStore(handle.db);
  const conflicts = new ConflictStore(handle.db);
  const sync = new SyncEngine({
    store: pages,
    conflicts,
    git,
    dataDir,
    deleteCap: options.deleteCap,
    logger: options.logger ?? silentLogger,
    onStep: options.onStep,
  });
  let closed: Promise<void> | undefined;
  return {
    db: handle.db,
    backend: handle.backend,
    pages,
    conflicts,
    sync,
    git,
    dataDir,
    vaultPath: (spaceId: string) => vaultPath(dataDir, spaceId),
    close: () => (closed ??= handle.close()),
  };
}

export * from './common/engine.error';
export * from './pages';
export * from './sync';
export * from './vault';
