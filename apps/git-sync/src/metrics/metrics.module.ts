import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { SYNC_METRICS } from '../orchestrator/sync-metrics.port';
import { GitSyncMetrics } from './git-sync-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';

export interface MetricsModuleOptions {
  config: GitSyncConfig;
  /** A module that exports `GIT_SYNC_CONFIG` (the same `config`). */
  imports: ModuleMetadata['imports'];
}

/**
 * Provides `GitSyncMetrics` (and the orchestrator's `SYNC_METRICS`) to the
 * modules that import it, always: the counters cost next to nothing. Serving
 * them is what `GIT_SYNC_METRICS` turns on, on the main port or, with
 * `GIT_SYNC_METRICS_PORT`, on a port of its own.
 */
@Module({})
export class MetricsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #logger = new Logger(MetricsModule.name);
  #server: MetricsServer | undefined;

  constructor(
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Inject(GitSyncMetrics) private readonly metrics: GitSyncMetrics,
  ) {}

  static forRoot({ config, imports }: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      imports,
      controllers: config.metrics && config.metricsPort === undefined ? [MetricsController] : [],
      providers: [
        {
          provide: GitSyncMetrics,
          useFactory: () => new GitSyncMetrics({ perSpace: config.metricsPerSpace, processMetrics: config.metrics }),
        },
        { provide: SYNC_METRICS, useExisting: GitSyncMetrics },
      ],
      exports: [GitSyncMetrics, SYNC_METRICS],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.metrics || this.config.metricsPort === undefined) return;
    this.#server = new MetricsServer(this.metrics);
    const port = await this.#server.listen(this.config.metricsPort, this.config.host);
    this.#logger.log({ msg: 'metrics served on their own port', port });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#server?.close();
  }
}
