import { z } from 'zod';
import { uuid } from './common.schemas';

export const conflictParams = z.object({ spaceId: uuid, conflictId: uuid }).strict();
export type ConflictParams = z.infer<typeof conflictParams>;

export const conflictListQuery = z
  .object({
    // Open ones by default: dismissed records are history.
    status: z.enum(['open', 'all']).default('open'),
  })
  .strict();
export type ConflictListQuery = z.infer<typeof conflictListQuery>;
