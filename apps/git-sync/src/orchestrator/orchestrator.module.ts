import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { CYCLE_RUNNER, type CycleRunner } from './cycle-runner.port';
import { GitSyncOrchestrator } from './git-sync.orchestrator';
import { InMemoryPushWaiters } from './in-memory-push-waiters';
import { PUSH_WAITERS, type PushWaiters } from './push-waiters.port';
import { SPACE_DIRECTORY, type SpaceDirectory } from './space-directory.port';
import type { PortProvider } from '../common/port-provider';

export interface OrchestratorModuleOptions {
  /**
   * Modules that export what the orchestrator and the port providers need:
   * `GIT_SYNC_CONFIG`, `SpaceLockService`, and the engine's providers, typically.
   */
  imports?: ModuleMetadata['imports'];
  cycleRunner: PortProvider<CycleRunner>;
  spaceDirectory: PortProvider<SpaceDirectory>;
  /** Where pushes announce that they wait; one replica's memory unless given (Redis, for several). */
  pushWaiters?: PortProvider<PushWaiters>;
}

/**
 * Provides and exports `GitSyncOrchestrator` to the modules that import it.
 * Needs `SpaceLockService` (from `SpaceLockModule`) and `GIT_SYNC_CONFIG`
 * (from `GitSyncConfigModule`), from `imports` or a global module, and
 * `SYNC_METRICS` (from `MetricsModule`) when cycles are to be counted.
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
      imports: options.imports ?? [],
      providers,
      exports: [GitSyncOrchestrator],
    };
  }
}
