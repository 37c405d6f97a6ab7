import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { AUTH_FAILURE_DEFAULTS } from '../common/auth-defaults';

export interface AuthFailureLimiterOptions {
  /**
   * Failed attempts allowed per (address, username) within the window; the next one is refused.
   * @default 10
   */
  maxFailures?: number;
  /**
   * Failed attempts allowed per address, whatever the usernames, within the window.
   * Higher than `maxFailures`, so one person's typos behind a shared (NAT) address
   * do not lock out everyone else behind it.
   * @default 100
   */
  maxAddressFailures?: number;
  /**
   * Window length, in seconds, counted from a key's first failure.
   * @default 60
   */
  windowSeconds?: number;
  /** Prefix of the keys kept in Redis. */
  keyPrefix?: string;
}

/** Where an authentication attempt came from. */
export interface AuthAttempt {
  /** The client address (after `GIT_SYNC_TRUST_PROXY`, when set). */
  address: string;
  /** The username it claimed; Bearer tokens claim none. */
  username?: string;
}

interface Counter {
  key: string;
  max: number;
}

/**
 * Throttles credential guessing. Failures are counted per client address and
 * per (address, username), never per username alone: a count that any
 * address could raise would let an attacker lock a user out of their own
 * account. A correct credential is therefore refused only from an address
 * that has itself failed too often. On Redis the counts are shared by every
 * replica, so spreading guesses across replicas does not help.
 */
export class AuthFailureLimiter {
  private constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly maxFailures: number,
    private readonly maxAddressFailures: number,
  ) {}

  static inMemory(options: AuthFailureLimiterOptions = {}): AuthFailureLimiter {
    const { maxFailures, maxAddressFailures, windowSeconds } = { ...AUTH_FAILURE_DEFAULTS, ...options };
    return new AuthFailureLimiter(
      new RateLimiterMemory({ points: maxAddressFailures, duration: windowSeconds }),
      maxFailures,
      maxAddressFailures,
    );
  }

  /** `redis` is an ioredis client; the limiter never closes it. */
  static onRedis(redis: unknown, options: AuthFailureLimiterOptions = {}): AuthFailureLimiter {
    const { maxFailures, maxAddressFailures, windowSeconds, keyPrefix } = { ...AUTH_FAILURE_DEFAULTS, ...options };
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      points: maxAddressFailures,
      duration: windowSeconds,
      keyPrefix,
    });
    return new AuthFailureLimiter(limiter, maxFailures, maxAddressFailures);
  }

  /** How long, in ms, until `attempt` may be tried again; 0 when it is not blocked. */
  async blockedForMs(attempt: AuthAttempt): Promise<number> {
    const counters = this.counters(attempt);
    const states = await Promise.all(counters.map(({ key }) => this.limiter.get(key)));
    let wait = 0;
    states.forEach((state, i) => {
      if (state && state.consumedPoints >= counters[i].max) wait = Math.max(wait, state.msBeforeNext);
    });
    return wait;
  }

  async recordFailure(attempt: AuthAttempt): Promise<void> {
    // penalty() only counts; whether a count blocks is decided in blockedForMs, per counter.
    await Promise.all(this.counters(attempt).map(({ key }) => this.limiter.penalty(key, 1)));
  }

  /** A success clears that user's count at that address; the address's own count stays. */
  async recordSuccess(attempt: AuthAttempt): Promise<void> {
    const [, user] = this.counters(attempt);
    if (user) await this.limiter.delete(user.key);
  }

  private counters({ address, username }: AuthAttempt): Counter[] {
    const counters = [{ key: `addr:${address}`, max: this.maxAddressFailures }];
    if (username !== undefined)
      counters.push({ key: `addr:${address}:user:${username.toLowerCase()}`, max: this.maxFailures });
    return counters;
  }
}
