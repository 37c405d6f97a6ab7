import { Module } from '@nestjs/common';
import { ConfigurableSpaceLockModule } from './space-lock.module-definition';
import { SpaceLockService } from './space-lock.service';

/**
 * Provides `SpaceLockService`. Pass an ioredis client as `redis`, or import
 * `RedisModule.forRoot(...)` from `@nestjs-labs/nestjs-ioredis` alongside it,
 * or pass `inMemory: true`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     RedisModule.forRoot({ config: { url: process.env.REDIS_URL } }),
 *     SpaceLockModule.forRoot({ keyPrefix: 'git-sync:lock:', ttlMs: 30_000 }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [SpaceLockService],
  exports: [SpaceLockService],
})
export class SpaceLockModule extends ConfigurableSpaceLockModule {}
