import { z } from 'zod';
import { uuid } from './common.schemas';

export const memberParams = z.object({ spaceId: uuid, userId: uuid }).strict();
export type MemberParams = z.infer<typeof memberParams>;

export const setMemberBody = z
  .object({
    role: z.enum(['read', 'write'], {
      errorMap: (_issue, ctx) => ({ message: ctx.data === undefined ? 'Required' : "must be 'read' or 'write'" }),
    }),
  })
  .strict();
export type SetMemberBody = z.infer<typeof setMemberBody>;
