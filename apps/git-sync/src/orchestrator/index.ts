export type {
  CycleStatus,
  CycleTrigger,
  GitSyncStatus,
  RunOnceResult,
  RunOnceSkip,
  SpaceSyncRecord,
} from './cycle-status';
export { CYCLE_RUNNER, type CycleRunner, type LockScope } from './cycle-runner.port';
export { SPACE_DIRECTORY, type SpaceDirectory } from './space-directory.port';
export { SYNC_METRICS, type SyncMetrics } from './sync-metrics.port';
export { PUSH_WAITERS, type PushWaiters } from './push-waiters.port';
export { InMemoryPushWaiters } from './in-memory-push-waiters';
export { RedisPushWaiters } from './redis-push-waiters';
export { GitSyncLockHeldError } from './git-sync-lock-held.error';
export { GitSyncOrchestrator, type ExclusiveOptions } from './git-sync.orchestrator';
export { OrchestratorModule, type OrchestratorModuleOptions } from './orchestrator.module';
export { GuardedCycleRunner, type OwnedCycleRunner } from './guarded-cycle-runner';
export { WorkTreeOverlapError } from './work-tree-overlap.error';
