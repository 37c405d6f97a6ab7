import { z } from 'zod';
import { isUuid } from '../pages/uuid';

// The stores' own uuid check, so the API accepts exactly the ids the stores do.
export const uuid = z.string({ invalid_type_error: 'must be a UUID' }).refine(isUuid, 'must be a UUID');

/** Any text: PostgreSQL cannot store a NUL character, so one is a 400 here rather than a 500 from the store. */
export const text = () => z.string().refine((value) => !value.includes('\0'), 'must not contain a NUL character');

/** Text a person types as a name or title: something visible, bounded. */
export const label = (max: number) =>
  text()
    .refine((value) => value.trim().length > 0, 'must not be empty')
    .refine((value) => value.length <= max, `must be at most ${max} characters`);

export const spaceParams = z.object({ spaceId: uuid }).strict();
export type SpaceParams = z.infer<typeof spaceParams>;
