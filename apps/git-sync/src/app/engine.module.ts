import { hostname } from 'node:os';
import { Inject, Module, type DynamicModule, type ModuleMetadata, type OnApplicationShutdown } from '@nestjs/common';
import { RedisService } from '@nestjs-labs/nestjs-ioredis';
import type { Logger as PinoLogger } from 'pino';
import { SpaceLockService } from 'space-lock/nestjs';
import {
  AccountGitAccessPolicy,
  AccountStore,
  AuthFailureLimiter,
  CredentialChecker,
  migrateAccounts,
} from '../accounts';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { createEngine, type Engine } from '../engine';
import { ConflictStore } from '../pages/conflict-store';
import { DATABASE } from '../pages/database';
import { PageStore } from '../pages/page-store';
import { GitSyncMetrics } from '../metrics/git-sync-metrics';
import { SyncEngine } from '../sync/sync-engine';
import { GitRunner } from '../vault/git-runner';
import { SpaceTrash } from '../vault/space-trash';
import { ROOT_LOGGER } from '../common/root-logger.token';
import { ENGINE } from './engine.tokens';
import { GuardedCycleRunner } from '../orchestrator/guarded-cycle-runner';
import { PageStoreSpaceDirectory } from './page-store-space-directory';

/** The engine with the accounts tables migrated: what the server and the admin command both open. */
export async function openEngine(config: GitSyncConfig, logger: PinoLogger): Promise<Engine> {
  const engine = await createEngine({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    logger: logger.child({ component: 'engine' }),
  });
  try {
    await migrateAccounts(engine.db);
  } catch (err) {
    await engine.close();
    throw err;
  }
  logger.info({ backend: engine.backend, dataDir: engine.dataDir }, 'page store ready');
  return engine;
}

export interface EngineModuleOptions {
  /**
   * Modules that export what the engine's providers need: `GIT_SYNC_CONFIG`,
   * `ROOT_LOGGER`, `SpaceLockService` and `GitSyncMetrics`.
   */
  imports: ModuleMetadata['imports'];
}

/**
 * The engine and everything built on its database, as Nest providers: the
 * page store, accounts, the space directory and cycle runner the
 * orchestrator needs, and the credential checker and access policy the git
 * host and the API need. Each of those imports this module.
 */
@Module({})
export class EngineModule implements OnApplicationShutdown {
  constructor(@Inject(ENGINE) private readonly engine: Engine) {}

  static forRoot({ imports }: EngineModuleOptions): DynamicModule {
    return {
      module: EngineModule,
      imports,
      providers: [
        { provide: ENGINE, inject: [GIT_SYNC_CONFIG, ROOT_LOGGER], useFactory: openEngine },
        { provide: PageStore, inject: [ENGINE], useFactory: (e: Engine) => e.pages },
        { provide: ConflictStore, inject: [ENGINE], useFactory: (e: Engine) => e.conflicts },
        { provide: SyncEngine, inject: [ENGINE], useFactory: (e: Engine) => e.sync },
        { provide: DATABASE, inject: [ENGINE], useFactory: (e: Engine) => e.db },
        { provide: GitRunner, inject: [ENGINE], useFactory: (e: Engine) => e.git },
        { provide: AccountStore, inject: [ENGINE], useFactory: (e: Engine) => new AccountStore(e.db) },
        { provide: SpaceTrash, inject: [ENGINE], useFactory: (e: Engine) => new SpaceTrash(e.dataDir) },
        {
          provide: PageStoreSpaceDirectory,
          inject: [PageStore],
          useFactory: (p: PageStore) => new PageStoreSpaceDirectory(p),
        },
        {
          provide: GuardedCycleRunner,
          inject: [ENGINE, SpaceLockService, GIT_SYNC_CONFIG],
          useFactory: (e: Engine, lock: SpaceLockService, c: GitSyncConfig) =>
            new GuardedCycleRunner(e.sync, e.dataDir, `${hostname()}:${process.pid}:${lock.instanceId}`, c.lockTtlMs),
        },
        {
          provide: AuthFailureLimiter,
          inject: [GIT_SYNC_CONFIG, { token: RedisService, optional: true }],
          // With Redis, failures are counted across replicas; without it, per process.
          useFactory: (c: GitSyncConfig, redis?: RedisService) => {
            const options = {
              maxFailures: c.authMaxFailures,
              maxAddressFailures: c.authMaxAddressFailures,
              windowSeconds: c.authWindowSeconds,
              keyPrefix: c.authFailureKeyPrefix,
            };
            return c.redisUrl && redis
              ? AuthFailureLimiter.onRedis(redis.getOrThrow(), options)
              : AuthFailureLimiter.inMemory(options);
          },
        },
        // One checker for git and the API, so both count toward the same throttle.
        {
          provide: CredentialChecker,
          inject: [AccountStore, AuthFailureLimiter, { token: GitSyncMetrics, optional: true }],
          useFactory: (a: AccountStore, l: AuthFailureLimiter, m?: GitSyncMetrics) => new CredentialChecker(a, l, m),
        },
        {
          provide: AccountGitAccessPolicy,
          inject: [AccountStore, PageStoreSpaceDirectory, CredentialChecker],
          useFactory: (a: AccountStore, d: PageStoreSpaceDirectory, c: CredentialChecker) =>
            new AccountGitAccessPolicy(a, (id) => d.isGitSyncEnabled(id), c),
        },
      ],
      exports: [
        ENGINE,
        PageStore,
        ConflictStore,
        SyncEngine,
        DATABASE,
        GitRunner,
        AccountStore,
        SpaceTrash,
        PageStoreSpaceDirectory,
        GuardedCycleRunner,
        AccountGitAccessPolicy,
        CredentialChecker,
      ],
    };
  }

  /** After the lock has released its spaces (beforeApplicationShutdown), so no cycle is still using the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}
