import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { CYCLE_RUNNER, type CycleRunner } from './cycle-runner.port';
import { GitSyncOrchestrator } from './git-sync.orchestrator';
import { InMemoryPushWaiters } from './in-memory-push-waiters';
import { PUSH_WAITERS, type PushWaiters } from './push-waiters.port';
import { SPACE_DIRECTORY, type SpaceDirectory } from './space-directory.port';
import type { PortProvider } from '../common/port-provider';

export interface OrchestratorModuleOptions {
  /** Modules that export what the port providers need (the engine's, typically). */
  imports?: ModuleMetadata['imports'];
  cycleRunner: PortProvider<CycleRunner>;
  spaceDirectory: PortProvider<SpaceDirectory>;
  /** Where pushes announce that they wait; one replica's memory unless given (Redis, for several). */
  pushWaiters?: PortProvider<PushWaiters>;
}

/**
 * Provides and exports `GitSyncOrchestrator`, globally. Needs
 * `SpaceLockService` (from `SpaceLockModule`) and `GIT_SYNC_CONFIG` (from
 * `GitSyncConfigModule`) to be available; both of those are global modules.
 */
@Module({})
export class OrchestratorModule {
  static forRoot(options: OrchestratorModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { ...options.cycleRunner, provide: CYCLE_RUNNER } as Provider,
      { ...options.spaceDirectory, provide: SPACE_DIRECTORY } as Provider,
      {
        ...(options.pushWaiters ?? { useFactory: () => new InMemoryPushWaiters() }),
        provide: PUSH_WAITERS,
      } as Provider,
      GitSyncOrchestrator,
    ];
    return {
      module: OrchestratorModule,
      global: true,
      imports: options.imports ?? [],
      providers,
      exports: [GitSyncOrchestrator],
    };
  }
}
