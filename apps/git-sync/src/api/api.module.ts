import { Module } from '@nestjs/common';
import { ApiExceptionFilter } from './api-exception.filter';
import { ConflictsController } from './conflicts.controller';
import { GitSyncController } from './git-sync.controller';
import { MembersController } from './members.controller';
import { PagesController } from './pages.controller';
import { SpacesController } from './spaces.controller';
import { UsersController } from './users.controller';

/**
 * The JSON API under /api. Its stores, orchestrator and cycle runner come
 * from the global engine and orchestrator modules.
 */
@Module({
  controllers: [
    SpacesController,
    PagesController,
    UsersController,
    MembersController,
    GitSyncController,
    ConflictsController,
  ],
  providers: [ApiExceptionFilter],
})
export class ApiModule {}
