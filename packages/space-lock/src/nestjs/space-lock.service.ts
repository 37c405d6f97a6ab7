import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { RedisService } from '@nestjs-labs/nestjs-ioredis';
import { SpaceLock, type SpaceLockFn, type SpaceLockSkip } from '../space-lock';
import type { WithSpaceLockOptions } from '../options';
import type { SpaceLockModuleOptions } from './space-lock-options.interface';
import { SPACE_LOCK_OPTIONS } from './space-lock.module-definition';

/** The NestJS face of `SpaceLock`, on the client of `@nestjs-labs/nestjs-ioredis`. */
@Injectable()
export class SpaceLockService implements BeforeApplicationShutdown {
  readonly lock: SpaceLock;
  readonly #shutdownGraceMs: number | undefined;

  constructor(
    @Optional() @Inject(RedisService) redisService: RedisService | null,
    @Optional() @Inject(SPACE_LOCK_OPTIONS) options: SpaceLockModuleOptions | null,
  ) {
    const { inMemory = false, redisNamespace, shutdownGraceMs, store, ...lockOptions } = options ?? {};
    const logger = new Logger(SpaceLock.name);
    if (store !== undefined || inMemory) {
      this.lock = new SpaceLock({ ...lockOptions, store, logger });
    } else {
      if (!redisService) {
        throw new Error('SpaceLockModule needs RedisModule from @nestjs-labs/nestjs-ioredis to be imported, or `inMemory: true`');
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
   * that is where RedisModule quits the client the release needs. The client
   * itself is left to RedisModule, which created it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.lock.close({ graceMs: this.#shutdownGraceMs });
  }
}
