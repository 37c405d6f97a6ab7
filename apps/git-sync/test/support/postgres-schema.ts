import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/** The test PostgreSQL: the local `test` database, trust auth, unless DATABASE_URL names another. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of one suite's own on the test database, so suites never see each other's rows. */
export interface PrivateSchema {
  name: string;
  /** DATABASE_URL with sessions in this schema, for a server that takes no schema setting. */
  url: string;
  /** Creates the schema, for a server that expects it to exist. */
  create(): Promise<void>;
  /** Drops the schema and everything in it; nothing outside it. */
  drop(): Promise<void>;
}

/** A fresh schema name under `prefix`; nothing exists until `create` or the engine makes it. */
export function privateSchema(prefix: string): PrivateSchema {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.href,
    create: () => runAlone(`create schema "${name}"`),
    drop: () => runAlone(`drop schema if exists "${name}" cascade`),
  };
}

/** One statement on a connection of its own, closed before returning. */
async function runAlone(statement: string): Promise<void> {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
  try {
    await pool.query(statement);
  } finally {
    await pool.end();
  }
}
