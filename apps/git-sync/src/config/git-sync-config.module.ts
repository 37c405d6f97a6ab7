import { Module, type DynamicModule } from '@nestjs/common';
import { loadConfig, type GitSyncConfig } from './git-sync-config';
import { GIT_SYNC_CONFIG } from './git-sync-config.token';

export interface GitSyncConfigModuleOptions {
  /** An already built configuration, e.g. in tests. Takes precedence over `env`. */
  config?: GitSyncConfig;
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Provides `GIT_SYNC_CONFIG` to the modules that import it; they must all
 * import the same `forRoot` result, so they share one configuration. The
 * environment is validated while the module is being built, so an invalid
 * value stops start-up before any provider runs.
 */
@Module({})
export class GitSyncConfigModule {
  static forRoot(options: GitSyncConfigModuleOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig(options.env ?? process.env);
    return {
      module: GitSyncConfigModule,
      providers: [{ provide: GIT_SYNC_CONFIG, useValue: config }],
      exports: [GIT_SYNC_CONFIG],
    };
  }
}
