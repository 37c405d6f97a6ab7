import type { SpaceLockOptions } from '../options';

/** Options of `SpaceLockModule.forRoot` / `forRootAsync`. */
export interface SpaceLockModuleOptions extends Pick<
  SpaceLockOptions,
  'redis' | 'keyPrefix' | 'ttlMs' | 'store' | 'fencing' | 'wakeOnRelease'
> {
  /**
   * Use the in-memory store instead of Redis: one replica only. Then no
   * `RedisModule` is needed.
   * @default false
   */
  inMemory?: boolean;
  /**
   * Which `@nestjs-labs/nestjs-ioredis` connection to use, when no `redis`
   * client is given.
   * @default the default connection
   */
  redisNamespace?: string;
  /**
   * How long shutdown waits for running critical sections before releasing
   * their locks under them.
   * @default 10000
   */
  shutdownGraceMs?: number;
}
