import { z } from 'zod';
import { label } from './common.schemas';

export const createSpaceBody = z
  .object({
    name: label(200),
    gitSyncEnabled: z.boolean().optional(),
  })
  .strict();
export type CreateSpaceBody = z.infer<typeof createSpaceBody>;

export const setGitSyncBody = z.object({ enabled: z.boolean() }).strict();
export type SetGitSyncBody = z.infer<typeof setGitSyncBody>;
