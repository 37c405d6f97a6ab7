export { ConfigError, type ConfigIssue } from './config.error';
export {
  CONFIG_DEFAULTS,
  LOG_LEVELS,
  LOOPBACK_HOST_NAMES,
  isLoopbackHost,
  loadConfig,
  type GitSyncConfig,
  type LogFormat,
  type LogLevel,
} from './git-sync-config';
export { GIT_SYNC_CONFIG } from './git-sync-config.token';
export { GitSyncConfigModule, type GitSyncConfigModuleOptions } from './git-sync-config.module';
