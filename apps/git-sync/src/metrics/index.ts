export {
  GitSyncMetrics,
  type CycleEnd,
  type GitSyncMetricsOptions,
  type LockAttempt,
  type UnavailableReason,
} from './git-sync-metrics';
export { MeteredCycleRunner } from './metered-cycle-runner';
export { MetricsModule } from './metrics.module';
