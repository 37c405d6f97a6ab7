export type { CycleStatus, CycleTrigger, GitSyncStatus, RunOnceResult, RunOnceSkip, SpaceSyncRecord } from './cycle-status';
export { CYCLE_RUNNER, type CycleRunner } from './cycle-runner.port';
export { SPACE_DIRECTORY, type SpaceDirectory } from './space-directory.port';
export { GitSyncLockHeldError } from './git-sync-lock-held.error';
export { GitSyncOrchestrator } from './git-sync.orchestrator';
export { OrchestratorModule, type OrchestratorModuleOptions } from './orchestrator.module';

