import cjs from '../dist/nestjs/index.js';

export const { SpaceLockModule, SpaceLockService } = cjs;
