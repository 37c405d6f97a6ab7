import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { RedisModule, RedisService } from '@nestjs-labs/nestjs-ioredis';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { SpaceLockModule } from 'space-lock/nestjs';
import { ApiModule } from './api/api.module';
import { OpenApiModule } from './api/openapi/openapi.module';
import { EngineModule } from './app/engine.module';
import { FirstRun } from './app/first-run';
import { clientAddressResolver } from './app/http-hardening';
import { HttpHardeningModule } from './app/http-hardening.module';
import { ENGINE } from './app/engine.tokens';
import { ROOT_LOGGER } from './common/root-logger.token';
import { GuardedCycleRunner } from './orchestrator/guarded-cycle-runner';
import { PageEditTrigger } from './app/page-edit-trigger';
import { PageStoreSpaceDirectory } from './app/page-store-space-directory';
import { VaultRepositoryProvider } from './app/vault-repository-provider';
import { AccountGitAccessPolicy } from './accounts';
import { GitSyncConfigModule, type GitSyncConfig } from './config';
import { GitHttpModule } from './git-http/git-http.module';
import { HealthModule } from './health/health.module';
import { GitSyncMetrics, MeteredCycleRunner, MetricsModule } from './metrics';
import { OrchestratorModule } from './orchestrator/orchestrator.module';
import { GitSyncOrchestrator } from './orchestrator/git-sync.orchestrator';
import { RedisPushWaiters } from './orchestrator/redis-push-waiters';
import type { Engine } from './engine';

export interface AppModuleOptions {
  config: GitSyncConfig;
  logger: PinoLogger;
}

@Module({})
class RootLoggerModule {}

/**
 * Git clients poll info/refs constantly, so a served request is debug. A 503
 * is the busy answer a client is told to retry, not a server fault. A 401 to
 * a request without credentials is git's own first step (it asks, is told
 * to authenticate, then sends them), so it is debug too, not a warning.
 */
export function requestLogLevel(req: IncomingMessage, res: ServerResponse, err?: Error): 'error' | 'warn' | 'debug' {
  if (err || (res.statusCode >= 500 && res.statusCode !== 503)) return 'error';
  if (res.statusCode === 401 && req.headers.authorization === undefined) return 'debug';
  return res.statusCode >= 400 ? 'warn' : 'debug';
}

/** The git-sync server: page store and vaults, the lock, the orchestrator, the git host and the REST API. */
@Module({})
export class AppModule {
  static forRoot({ config, logger }: AppModuleOptions): DynamicModule {
    const clientAddress = clientAddressResolver(config);
    // Each module below imports what it uses from these. Nest makes one instance of a dynamic
    // module per object, so every importer must be handed the same object.
    const configModule = GitSyncConfigModule.forRoot({ config });
    const rootLogger: DynamicModule = {
      module: RootLoggerModule,
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
    const lockModule = SpaceLockModule.forRoot({
      isGlobal: false,
      inMemory: !config.redisUrl,
      ttlMs: config.lockTtlMs,
      keyPrefix: config.lockKeyPrefix,
      // With several replicas a holder can be paused past its lease; its token lets the page
      // store refuse what it writes after that. The in-memory lock serves one process only.
      fencing: Boolean(config.redisUrl),
    });
    const metricsModule = MetricsModule.forRoot({ config, imports: [configModule] });
    const engineModule = EngineModule.forRoot({ imports: [configModule, rootLogger, lockModule, metricsModule] });
    const orchestratorModule = OrchestratorModule.forRoot({
      imports: [configModule, lockModule, engineModule, metricsModule],
      cycleRunner: {
        inject: [GuardedCycleRunner, GitSyncMetrics],
        useFactory: (g: GuardedCycleRunner, m: GitSyncMetrics) => new MeteredCycleRunner(g, m),
      },
      spaceDirectory: { useExisting: PageStoreSpaceDirectory },
      // Replicas share the waiter markers through the lock's Redis; alone, memory is enough.
      ...(config.redisUrl
        ? {
            pushWaiters: {
              inject: [RedisService],
              useFactory: (redis: RedisService) => new RedisPushWaiters(redis.getOrThrow(), config.lockKeyPrefix),
            },
          }
        : {}),
    });
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            customLogLevel: requestLogLevel,
            // Behind a trusted proxy, the address worth logging is the client's, as the throttle sees it.
            serializers: {
              req: (req: { remoteAddress?: string; raw?: IncomingMessage }) => {
                if (req.raw) req.remoteAddress = clientAddress(req.raw);
                return req;
              },
            },
          },
        }),
        // Global, as the library makes it: the one connection the lock, the push waiters, the
        // failure limiter and the readiness probe share.
        ...(config.redisUrl ? [RedisModule.forRoot({ config: { url: config.redisUrl } })] : []),
        configModule,
        metricsModule,
        engineModule,
        orchestratorModule,
        GitHttpModule.forRoot({
          imports: [configModule, engineModule, orchestratorModule, metricsModule],
          accessPolicy: { useExisting: AccountGitAccessPolicy },
          git: { inject: [ENGINE], useFactory: (engine: Engine) => engine.git },
          repositoryProvider: {
            // Provided here, not in EngineModule: it needs the orchestrator, which itself needs the engine.
            inject: [ENGINE, GitSyncOrchestrator, GuardedCycleRunner, GitSyncMetrics],
            useFactory: (
              engine: Engine,
              orchestrator: GitSyncOrchestrator,
              cycles: GuardedCycleRunner,
              metrics: GitSyncMetrics,
            ) =>
              new VaultRepositoryProvider(
                engine,
                orchestrator,
                new MeteredCycleRunner(cycles, metrics),
                config.pushLockWaitMs,
              ),
          },
        }),
        HttpHardeningModule.forRoot({ imports: [configModule] }),
        ApiModule.forRoot({ imports: [rootLogger, engineModule, orchestratorModule] }),
        OpenApiModule,
        HealthModule.forRoot({ imports: [configModule, engineModule] }),
      ],
      providers: [PageEditTrigger, FirstRun],
    };
  }
}
