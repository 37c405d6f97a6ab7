import { type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.types';
import { StaleFencingTokenError } from './stale-fencing-token.error';

/**
 * Raises the space's fence to `token`, or throws StaleFencingTokenError when a higher token has
 * already written. Run it inside the write's transaction: the upsert takes the fence row's lock, so
 * writers of one space queue on it until COMMIT and no stale write can slip in between the check
 * and the write. Equal tokens pass, since one hold writes many times.
 */
export async function passFence(
  trx: Transaction<Database> | Kysely<Database>,
  spaceId: string,
  token: number,
): Promise<void> {
  if (!Number.isSafeInteger(token) || token < 1) {
    throw new TypeError(
      `Expected \`fencingToken\` to be a positive safe integer, got \`${String(token)}\` (${typeof token})`,
    );
  }
  const passed = await trx
    .insertInto('space_fences')
    .values({ space_id: spaceId, token })
    .onConflict((oc) =>
      oc
        .column('space_id')
        .doUpdateSet((eb) => ({ token: eb.ref('excluded.token') }))
        .where('space_fences.token', '<=', (eb) => eb.ref('excluded.token')),
    )
    .returning('token')
    .executeTakeFirst();
  if (passed) return;
  const row = await trx.selectFrom('space_fences').select('token').where('space_id', '=', spaceId).executeTakeFirst();
  throw new StaleFencingTokenError(spaceId, token, Number(row?.token ?? token));
}

/** The highest token that has written to the space, or undefined when no fenced write has. */
export async function currentFence(db: Kysely<Database>, spaceId: string): Promise<number | undefined> {
  const row = await db.selectFrom('space_fences').select('token').where('space_id', '=', spaceId).executeTakeFirst();
  return row ? Number(row.token) : undefined;
}
