import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type InjectionToken,
} from '@nestjs/common';
import { SpaceLock, type SpaceLockFn, type SpaceLockSkip } from '../space-lock';
import type { WithSpaceLockOptions } from '../options';
import type { RedisLockClient } from '../store/redis-lock-client';
import type { SpaceLockModuleOptions } from './space-lock-options.interface';
import { SPACE_LOCK_OPTIONS } from './space-lock.module-definition';

/** The part of `@nestjs-labs/nestjs-ioredis`'s `RedisService` the lock uses. */
interface RedisServiceLike {
  getOrThrow(namespace?: string): RedisLockClient;
}

/**
 * The injection token of `RedisService` when `@nestjs-labs/nestjs-ioredis` is
 * installed. It is an optional peer: without it (or without its module
 * imported), the token resolves to nothing, and `redis` or `inMemory` is
 * needed instead. Loaded here rather than imported, so the package does not
 * require it.
 */
const REDIS_SERVICE: InjectionToken = (() => {
  try {
    // A require, not an import, so that the package loads without this optional peer.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@nestjs-labs/nestjs-ioredis') as { RedisService: InjectionToken }).RedisService;
  } catch {
    return Symbol('@nestjs-labs/nestjs-ioredis is not installed');
  }
})();

/** The NestJS face of `SpaceLock`: on the given ioredis client, else on the client of `@nestjs-labs/nestjs-ioredis`. */
@Injectable()
export class SpaceLockService implements BeforeApplicationShutdown {
  readonly lock: SpaceLock;
  readonly #shutdownGraceMs: number | undefined;

  constructor(
    @Optional() @Inject(REDIS_SERVICE) redisService: RedisServiceLike | null,
    @Optional() @Inject(SPACE_LOCK_OPTIONS) options: SpaceLockModuleOptions | null,
  ) {
    const { inMemory = false, redisNamespace, shutdownGraceMs, store, redis, ...lockOptions } = options ?? {};
    const logger = new Logger(SpaceLock.name);
    if (store !== undefined || inMemory) {
      this.lock = new SpaceLock({ ...lockOptions, store, logger });
    } else if (redis !== undefined) {
      this.lock = new SpaceLock({ ...lockOptions, redis, logger });
    } else {
      if (!redisService) {
        throw new Error(
          'SpaceLockModule needs an ioredis client: pass `redis`, or import RedisModule from @nestjs-labs/nestjs-ioredis, or set `inMemory: true`',
        );
      }
      this.lock = new SpaceLock({ ...lockOptions, redis: redisService.getOrThrow(redisNamespace), logger });
    }
    this.#shutdownGraceMs = shutdownGraceMs;
  }

  get instanceId(): string {
    return this.lock.instanceId;
  }

  /** See `SpaceLock.withSpaceLock`. */
  withSpaceLock<T>(spaceId: string, fn: SpaceLockFn<T>, options?: WithSpaceLockOptions): Promise<T | SpaceLockSkip> {
    return this.lock.withSpaceLock(spaceId, fn, options);
  }

  /**
   * Releases held locks before any module's `onApplicationShutdown`, because
   * that is where RedisModule quits the client the release needs. A client
   * passed as `redis`, or RedisModule's, is left to whoever created it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.lock.close({ graceMs: this.#shutdownGraceMs });
  }
}
