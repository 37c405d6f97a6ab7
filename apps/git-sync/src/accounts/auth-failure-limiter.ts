import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

export interface AuthFailureLimiterOptions {
  /**
   * Failed attempts allowed per key within the window; the next one is refused.
   * @default 10
   */
  maxFailures?: number;
  /**
   * Window length, in seconds, counted from a key's first failure.
   * @default 60
   */
  windowSeconds?: number;
  /** Prefix of the keys kept in Redis. */
  keyPrefix?: string;
}

/** The limits used when an option is not given; the server's configuration defaults to these too. */
export const AUTH_FAILURE_DEFAULTS = { maxFailures: 10, windowSeconds: 60, keyPrefix: 'git-sync:auth-failures' } as const;

/**
 * Throttles credential guessing: counts failed authentications per client
 * address and per username, and refuses a key that has failed too often
 * until its window ends. On Redis the counts are shared by every replica,
 * so spreading guesses across replicas does not help.
 */
export class AuthFailureLimiter {
  readonly maxFailures: number;

  private constructor(
    private readonly limiter: RateLimiterAbstract,
    maxFailures: number,
  ) {
    this.maxFailures = maxFailures;
  }

  static inMemory(options: AuthFailureLimiterOptions = {}): AuthFailureLimiter {
    const { maxFailures = AUTH_FAILURE_DEFAULTS.maxFailures, windowSeconds = AUTH_FAILURE_DEFAULTS.windowSeconds } = options;
    return new AuthFailureLimiter(new RateLimiterMemory({ points: maxFailures, duration: windowSeconds }), maxFailures);
  }

  /** `redis` is an ioredis client; the limiter never closes it. */
  static onRedis(redis: unknown, options: AuthFailureLimiterOptions = {}): AuthFailureLimiter {
    const { maxFailures, windowSeconds, keyPrefix } = { ...AUTH_FAILURE_DEFAULTS, ...options };
    const limiter = new RateLimiterRedis({ storeClient: redis, points: maxFailures, duration: windowSeconds, keyPrefix });
    return new AuthFailureLimiter(limiter, maxFailures);
  }

  /** How long, in ms, until the most-blocked of `keys` may try again; 0 when none is blocked. */
  async blockedForMs(keys: string[]): Promise<number> {
    const states = await Promise.all(keys.map((key) => this.limiter.get(key)));
    let wait = 0;
    for (const state of states) {
      if (state && state.consumedPoints >= this.maxFailures) wait = Math.max(wait, state.msBeforeNext);
    }
    return wait;
  }

  async recordFailure(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.limiter.penalty(key, 1)));
  }
}
