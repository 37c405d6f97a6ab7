import { randomBytes } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The conditional write of README's fencing section, statement for statement. */
const FENCE_SQL = `INSERT INTO space_fence (space_id, token) VALUES ($1, $2)
       ON CONFLICT (space_id) DO UPDATE SET token = EXCLUDED.token
       WHERE space_fence.token <= EXCLUDED.token`;

class StaleFencingTokenError extends Error {
  constructor(
    readonly spaceId: string,
    readonly token: number,
  ) {
    super(`A later holder of space ${spaceId} has written; token ${token} is stale`);
    this.name = new.target.name;
  }
}

describe('a resource that checks fencing tokens (PostgreSQL)', () => {
  const schema = `fence_${randomBytes(4).toString('hex')}`;
  let pool: Pool;

  beforeAll(async () => {
    pool = new Pool({ connectionString: DATABASE_URL, max: 3, options: `-c search_path=${schema}` });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query('CREATE TABLE space_fence (space_id text PRIMARY KEY, token bigint NOT NULL)');
    await pool.query('CREATE TABLE pages (id text PRIMARY KEY, content text NOT NULL)');
    await pool.query(`INSERT INTO pages (id, content) VALUES ('p1', 'start')`);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  async function savePage(client: PoolClient, spaceId: string, token: number, content: string): Promise<void> {
    await client.query('BEGIN');
    try {
      const fenced = await client.query(FENCE_SQL, [spaceId, token]);
      if (fenced.rowCount === 0) throw new StaleFencingTokenError(spaceId, token);
      await client.query(`UPDATE pages SET content = $1 WHERE id = 'p1'`, [content]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  }

  const content = async () =>
    (await pool.query<{ content: string }>(`SELECT content FROM pages WHERE id = 'p1'`)).rows[0].content;

  it('takes a first token, the same token again, and a higher one; refuses a lower one and leaves the data as it was', async () => {
    const client = await pool.connect();
    try {
      await savePage(client, 's1', 7, 'by 7');
      await savePage(client, 's1', 7, 'by 7 again');
      await savePage(client, 's1', 8, 'by 8');
      const stale = await savePage(client, 's1', 7, 'by 7, paused past its lease').catch((err: unknown) => err);
      expect(stale).toBeInstanceOf(StaleFencingTokenError);
      expect(await content()).toBe('by 8');
      // The fence of one space says nothing about another.
      await savePage(client, 's2', 1, 'by s2 token 1');
    } finally {
      client.release();
    }
  });

  it('refuses the stale writer even when it checked first: the newer writer waits on the fence row, then the old one is refused', async () => {
    const old = await pool.connect();
    const next = await pool.connect();
    try {
      await old.query('BEGIN');
      // The old holder (token 9) passes the check and is about to write...
      expect((await old.query(FENCE_SQL, ['s3', 9])).rowCount).toBe(1);
      // ...while the next holder (token 10) queues on the row the check locked.
      const nextWrite = savePage(next, 's3', 10, 'by 10');
      await old.query(`UPDATE pages SET content = 'by 9' WHERE id = 'p1'`);
      await old.query('COMMIT');
      await nextWrite;
      expect(await content()).toBe('by 10');
      // The old holder, resumed, tries once more: refused.
      await expect(savePage(old, 's3', 9, 'by 9 late')).rejects.toBeInstanceOf(StaleFencingTokenError);
      expect(await content()).toBe('by 10');
    } finally {
      old.release();
      next.release();
    }
  });
});
