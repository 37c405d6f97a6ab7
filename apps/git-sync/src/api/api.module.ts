import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { ApiExceptionFilter } from './api-exception.filter';
import { ConflictsController } from './conflicts.controller';
import { GitSyncController } from './git-sync.controller';
import { MembersController } from './members.controller';
import { PagesController } from './pages.controller';
import { SpacesController } from './spaces.controller';
import { UsersController } from './users.controller';

/**
 * The JSON API under /api. Its stores, orchestrator, cycle runner and logger
 * come from the modules `forRoot` is given.
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
export class ApiModule {
  /**
   * @param imports Modules that export the engine's stores and cycle runner,
   *   `GitSyncOrchestrator` and `ROOT_LOGGER`.
   */
  static forRoot({ imports }: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return { module: ApiModule, imports };
  }
}
