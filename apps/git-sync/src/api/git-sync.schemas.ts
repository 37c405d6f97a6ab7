import { z } from 'zod';
import { uuid } from './common.schemas';

export const triggerBody = z.object({ spaceId: uuid }).strict();
export type TriggerBody = z.infer<typeof triggerBody>;
