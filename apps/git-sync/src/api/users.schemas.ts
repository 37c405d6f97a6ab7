import { z } from 'zod';
import { USERNAME_PATTERN } from '../common/auth-defaults';
import { label, uuid } from './common.schemas';

export const createUserBody = z
  .object({
    username: z
      .string()
      .regex(USERNAME_PATTERN, 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  })
  .strict();
export type CreateUserBody = z.infer<typeof createUserBody>;

export const updateUserBody = z.object({ admin: z.boolean({ invalid_type_error: 'must be true or false' }) }).strict();
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const userParams = z.object({ userId: uuid }).strict();
export type UserParams = z.infer<typeof userParams>;

export const tokenParams = z.object({ userId: uuid, tokenId: uuid }).strict();
export type TokenParams = z.infer<typeof tokenParams>;

export const issueTokenBody = z
  .object({
    name: label(100),
    /** When the token stops working; omitted, it never does. */
    expiresAt: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time, such as 2030-01-31T00:00:00Z' })
      .transform((value) => new Date(value))
      .refine((date) => date.getTime() > Date.now(), 'must be in the future')
      .optional(),
  })
  .strict();
export type IssueTokenBody = z.infer<typeof issueTokenBody>;
