import { z } from 'zod';
import { USERNAME_PATTERN } from '../accounts';
import { label, uuid } from './common.schemas';

export const createUserBody = z
  .object({
    username: z
      .string()
      .regex(USERNAME_PATTERN, 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  })
  .strict();
export type CreateUserBody = z.infer<typeof createUserBody>;

export const userParams = z.object({ userId: uuid }).strict();
export type UserParams = z.infer<typeof userParams>;

export const tokenParams = z.object({ userId: uuid, tokenId: uuid }).strict();
export type TokenParams = z.infer<typeof tokenParams>;

export const issueTokenBody = z.object({ name: label(100) }).strict();
export type IssueTokenBody = z.infer<typeof issueTokenBody>;
