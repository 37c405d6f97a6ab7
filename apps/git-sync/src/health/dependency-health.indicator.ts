import { Inject, Injectable, Optional } from '@nestjs/common';
import { RedisService } from '@nestjs-labs/nestjs-ioredis';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { type Kysely, sql } from 'kysely';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { DATABASE } from '../pages/database';
import type { Database } from '../pages/database.types';
import { assertDataDirUsable } from '../vault/data-dir';
import { GitRunner } from '../vault/git-runner';

// A readiness probe that waits on a hung dependency is itself hung; a load
// balancer would rather hear "not ready" quickly.
const CHECK_TIMEOUT_MS = 2_000;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One check per dependency a replica needs to serve: the page store, Redis
 * (when configured), the data directory and git. A failing check says only
 * that the component is down, never why in its own words: driver messages
 * name hosts, paths and users, and readiness is unauthenticated.
 */
@Injectable()
export class DependencyHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(GitRunner) private readonly gitRunner: GitRunner,
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Optional() @Inject(RedisService) private readonly redis?: RedisService,
  ) {}

  database(): Promise<HealthIndicatorResult> {
    return this.#probe('database', () => sql`select 1`.execute(this.db));
  }

  /** Skipped (up, `mode: in-memory`) when no Redis is configured: the in-memory lock has nothing to reach. */
  redisStore(): Promise<HealthIndicatorResult> {
    if (!this.config.redisUrl || this.redis === undefined)
      return Promise.resolve(this.health.check('redis').up({ mode: 'in-memory' }));
    const client = this.redis.getOrThrow();
    return this.#probe('redis', () => client.ping());
  }

  dataDir(): Promise<HealthIndicatorResult> {
    return this.#probe('dataDir', () => assertDataDirUsable(this.config.dataDir));
  }

  git(): Promise<HealthIndicatorResult> {
    return this.#probe('git', () => this.gitRunner.version());
  }

  async #probe<const Key extends string>(key: Key, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const session = this.health.check(key);
    try {
      await within(CHECK_TIMEOUT_MS, check());
      return session.up();
    } catch {
      return session.down({ message: `${key} is not answering` });
    }
  }
}
