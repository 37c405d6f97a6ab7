import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, type Migration, Migrator, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { Pool } from 'pg';
import type { Database } from './database.types';
import { MigrationFailedError } from './migration-failed.error';
import { loadPglite } from './load-pglite';
import { migrations as defaultMigrations } from './migrations';

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it an embedded PGlite database is used. */
  databaseUrl?: string;
  /** Where the embedded database lives; required when no `databaseUrl` is given. */
  dataDir?: string;
  /** A PostgreSQL schema to create (if missing) and put first on the search path; lets test runs share a database. */
  schema?: string;
  migrations?: Record<string, Migration>;
  /** Shown in `pg_stat_activity.application_name`, so an operator can tell this process's connections apart. */
  applicationName?: string;
  /** Told when PostgreSQL drops an idle pooled connection (the pool replaces it). */
  onConnectionError?: (err: Error) => void;
}

export interface DatabaseHandle<DB = Database> {
  db: Kysely<DB>;
  backend: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** Injection token of the app's open `Kysely<Database>`, for what needs the connection itself (a readiness probe). */
export const DATABASE = Symbol('DATABASE');

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Directory of the embedded database inside the engine's data directory. */
export function pgliteDirectory(dataDir: string): string {
  return join(dataDir, 'pglite');
}

export async function openDatabase<DB = Database>(options: DatabaseOptions): Promise<DatabaseHandle<DB>> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(`schema name ${JSON.stringify(schema)} must match ${SCHEMA_NAME}`);
  }
  const handle = options.databaseUrl
    ? await openPostgres<DB>(options.databaseUrl, schema, options)
    : await openPglite<DB>(options.dataDir, schema);
  try {
    await migrateToLatest(handle.db, options.migrations ?? defaultMigrations);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

async function openPostgres<DB>(
  url: string,
  schema: string | undefined,
  options: DatabaseOptions,
): Promise<DatabaseHandle<DB>> {
  if (schema) {
    const setup = new Pool({ connectionString: url, max: 1 });
    try {
      await setup.query(`create schema if not exists "${schema}"`);
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: url,
    max: 10,
    application_name: options.applicationName ?? 'git-sync',
    // Every pooled connection gets the schema, so migrations and queries need no qualification.
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  // A connection that PostgreSQL terminates (pg_terminate_backend, a restart,
  // a network drop) emits 'error' on its client, which pg-pool re-emits on
  // the pool while the client is idle; unhandled, either ends the process.
  // The query in flight, if any, fails on its own, and pg-pool discards the
  // broken client and opens a new one on demand, so reporting it once, from
  // the client, is all that is left to do.
  pool.on('connect', (client) => client.on('error', (err) => options.onConnectionError?.(err)));
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, backend: 'postgres', close: () => db.destroy() };
}

async function openPglite<DB>(dataDir: string | undefined, schema: string | undefined): Promise<DatabaseHandle<DB>> {
  if (!dataDir) throw new RangeError('dataDir is required when no databaseUrl is given');
  const directory = pgliteDirectory(dataDir);
  await mkdir(directory, { recursive: true });
  const { PGlite } = loadPglite();
  const pglite = new PGlite(directory);
  await pglite.waitReady;
  if (schema) {
    await pglite.exec(`create schema if not exists "${schema}"; set search_path to "${schema}"`);
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    backend: 'pglite',
    async close() {
      await db.destroy();
      // The dialect does not own the PGlite instance; it must be closed to flush and release the directory.
      if (!pglite.closed) await pglite.close();
    },
  };
}

/**
 * The schema unqualified names resolve to on this connection. Migrators must
 * be told it: left to itself, Kysely's migrator looks for its history tables
 * in every schema, so another schema's tables (a second deployment or test
 * run sharing the database) make it skip creating its own, then fail.
 */
export async function currentSchema<DB>(db: Kysely<DB>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0].schema;
}

/** Where a set of migrations records its history; Kysely's default names unless given. */
export interface MigrationTables {
  migrationTableName?: string;
  migrationLockTableName?: string;
}

/**
 * Applies every migration not yet applied, in key order, in the connection's
 * current schema. A set with tables of its own evolves independently of the
 * others. Fails with `MigrationFailedError` naming the migration that failed.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
  tables: MigrationTables = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...tables,
    migrationTableSchema: await currentSchema(db),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationFailedError(failed, error);
  }
}
