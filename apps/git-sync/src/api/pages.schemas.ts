import { z } from 'zod';
import { label, text, uuid } from './common.schemas';

// Titles become file names in the vault; the engine encodes them, this only bounds them.
const title = label(255);
const position = z.number().int('must be an integer').min(0, 'must be at least 0').max(2_147_483_647, 'is too large');

export const pageParams = z.object({ spaceId: uuid, pageId: uuid }).strict();
export type PageParams = z.infer<typeof pageParams>;

export const createPageBody = z
  .object({
    title,
    content: text().optional(),
    parentPageId: uuid.nullable().optional(),
    position: position.optional(),
  })
  .strict();
export type CreatePageBody = z.infer<typeof createPageBody>;

export const updatePageBody = z
  .object({
    title: title.optional(),
    content: text().optional(),
  })
  .strict()
  .refine((b) => b.title !== undefined || b.content !== undefined, 'must set title, content or both');
export type UpdatePageBody = z.infer<typeof updatePageBody>;

export const movePageBody = z
  .object({
    // Required, even as null, so that a move to the root is always explicit.
    parentPageId: uuid.nullable(),
    position: position.optional(),
  })
  .strict();
export type MovePageBody = z.infer<typeof movePageBody>;

export const pageListQuery = z
  .object({
    deleted: z
      .enum(['true', 'false'], { errorMap: () => ({ message: "must be 'true' or 'false'" }) })
      .default('false')
      .transform((value) => value === 'true'),
  })
  .strict();
export type PageListQuery = z.infer<typeof pageListQuery>;
