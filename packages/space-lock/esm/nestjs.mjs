import cjs from '../dist/nestjs/index.js';

export const { SpaceLockModule, SpaceLockService, SPACE_LOCK_OPTIONS } = cjs;
