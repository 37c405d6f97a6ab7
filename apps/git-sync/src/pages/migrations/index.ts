import type { Migration } from 'kysely';
import { spacesAndPages } from './0001-spaces-and-pages.migration';
import { conflicts } from './0002-conflicts.migration';
import { spaceFences } from './0003-space-fences.migration';

/**
 * Every migration, in order. Kysely sorts by key, so keys carry a zero-padded sequence number;
 * later features append here rather than scanning a folder, which would break between the
 * compiled `dist` and sources run by the test transpiler.
 */
export const migrations: Record<string, Migration> = {
  '0001-spaces-and-pages': spacesAndPages,
  '0002-conflicts': conflicts,
  '0003-space-fences': spaceFences,
};
