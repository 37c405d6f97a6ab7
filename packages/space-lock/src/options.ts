import { inspect } from 'node:util';
import type { LockStore } from './store/lock-store';
import type { RedisLockClient } from './store/redis-lock-client';
import { isRedisLockClient } from './store/redis-lock-client';

/** Where the lock reports failures it absorbs. Nest's `Logger` fits as is. */
export interface SpaceLockLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SpaceLockOptions {
  /**
   * The ioredis client (`Redis` or `Cluster`) shared by every replica. The
   * lock never connects, quits or reconfigures it. Without one, the lock runs
   * on an in-memory store that excludes only within this process.
   *
   * The lock's commands of one turn of the event loop leave together. On a
   * plain client the first goes at once and the rest through the client's
   * socket, corked until the end of the turn's microtasks, so the caller's own
   * writes of that turn wait as briefly. On an auto-pipelining client they go
   * in explicit pipelines of the lock's own.
   */
  redis?: RedisLockClient;
  /**
   * A custom store, used instead of `redis`. Several instances given the same
   * `MemoryLockStore` exclude each other as replicas on one Redis would.
   */
  store?: LockStore;
  /**
   * Prepended to the space id to form the Redis key.
   * @default 'git-sync:lock:'
   */
  keyPrefix?: string;
  /**
   * Lease length in ms. The heartbeat renews it every `max(1, floor(ttlMs / 3))` ms;
   * if this process dies, other replicas wait at most this long.
   * @default 30000
   */
  ttlMs?: number;
  /**
   * Give each hold a fencing token (`ctx.fencingToken`): a number that
   * increases strictly per key, across every fencing holder in every process.
   * A resource that refuses a token lower than the highest it has seen stays
   * safe even from a holder that was paused past its lease. Acquire stays one
   * round trip (a script instead of SET), and the lock still excludes, and is
   * excluded by, replicas that use plain SET. The key prefix must then hold
   * no `{` or `}`.
   * @default false
   */
  fencing?: boolean;
  /**
   * Tell the waiters of other processes when a space is released: the release
   * script also publishes on a channel named like the key, and a waiter that finds a
   * space held elsewhere listens there (one subscriber connection per
   * SpaceLock, made from `redis.duplicate()` when a retry first waits, and
   * closed a few seconds after the last wait), so it tries again at once
   * instead of at its next backoff. Releases in this process wake its waiters
   * either way. Replicas that do not publish (the deployed service) are still
   * seen at the backoff. `false` keeps the release script the plain
   * compare-and-delete and never opens a second connection.
   * @default true when `redis` has `duplicate()` (any ioredis client), else false
   */
  wakeOnRelease?: boolean;
  /**
   * Receives warnings for failed releases and heartbeats.
   * @default console
   */
  logger?: SpaceLockLogger;
}

export interface AcquireRetryOptions {
  /** How long to keep retrying a busy space, in ms, before returning the skip. */
  totalMs: number;
  /**
   * First backoff ceiling, doubled each attempt.
   * @default 50
   */
  baseMs?: number;
  /**
   * Largest backoff ceiling.
   * @default 1000
   */
  maxMs?: number;
}

export interface WithSpaceLockOptions {
  /**
   * Retry a busy space (`in-progress` or `lock-held`) with exponential backoff
   * and full jitter. Without it, one attempt is made.
   */
  acquireRetry?: AcquireRetryOptions;
  /** Cancels the retry wait; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export const DEFAULT_KEY_PREFIX = 'git-sync:lock:';
export const DEFAULT_TTL_MS = 30_000;
export const MAX_SPACE_ID_LENGTH = 512;
const DEFAULT_RETRY_BASE_MS = 50;
const DEFAULT_RETRY_MAX_MS = 1_000;

// Whitespace and control characters would make keys that are ambiguous in
// logs and redis-cli; braces would form a Cluster hash tag and move the key.
const FORBIDDEN_SPACE_ID_CHARS = /[\s\p{Cc}{}]/u;

function describe(value: unknown): string {
  const shown = inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 80 });
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

function invalid(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
}

export function assertSpaceId(spaceId: unknown): asserts spaceId is string {
  const ok =
    typeof spaceId === 'string' &&
    spaceId.length > 0 &&
    spaceId.length <= MAX_SPACE_ID_LENGTH &&
    !FORBIDDEN_SPACE_ID_CHARS.test(spaceId);
  if (!ok) {
    throw invalid(
      'spaceId',
      `a non-empty string of at most ${MAX_SPACE_ID_LENGTH} characters without whitespace, control characters, \`{\` or \`}\``,
      spaceId,
    );
  }
}

export function assertFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalid(name, 'a function', value);
}

function assertInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(name, `an integer >= ${min}`, value);
  }
}

export interface ResolvedOptions {
  redis: RedisLockClient | undefined;
  store: LockStore | undefined;
  keyPrefix: string;
  ttlMs: number;
  fencing: boolean;
  wakeOnRelease: boolean;
  logger: SpaceLockLogger;
}

export function resolveOptions(options: SpaceLockOptions | undefined): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw invalid('options', 'an object', options);
  }
  const {
    redis,
    store,
    keyPrefix = DEFAULT_KEY_PREFIX,
    ttlMs = DEFAULT_TTL_MS,
    fencing = false,
    wakeOnRelease: wakeOption,
    logger = console,
  } = options ?? {};
  if (redis !== undefined && !isRedisLockClient(redis)) {
    throw invalid('redis', 'an ioredis client (with set, eval and evalsha)', redis);
  }
  if (store !== undefined) {
    const s = store as unknown as Record<string, unknown>;
    if (
      typeof store !== 'object' ||
      store === null ||
      !['acquire', 'release', 'refresh'].every((m) => typeof s[m] === 'function')
    ) {
      throw invalid('store', 'a LockStore (with acquire, release and refresh)', store);
    }
    if (redis !== undefined) throw new TypeError('Expected only one of `redis` and `store`, got both');
  }
  if (typeof keyPrefix !== 'string') throw invalid('keyPrefix', 'a string', keyPrefix);
  assertInteger('ttlMs', ttlMs, 3);
  if (typeof fencing !== 'boolean') throw invalid('fencing', 'a boolean', fencing);
  if (wakeOption !== undefined && typeof wakeOption !== 'boolean')
    throw invalid('wakeOnRelease', 'a boolean', wakeOption);
  const canSubscribe = redis !== undefined && typeof redis.duplicate === 'function';
  const wakeOnRelease = wakeOption ?? canSubscribe;
  if (wakeOnRelease && redis !== undefined && !canSubscribe) {
    throw invalid('redis', 'an ioredis client with duplicate() when `wakeOnRelease` is on', redis);
  }
  if (fencing) {
    // The fence counter's hash tag is the whole lock key; a brace in it would cut the tag short and split the slot.
    if (/[{}]/.test(keyPrefix))
      throw invalid('keyPrefix', 'a string without `{` or `}` when `fencing` is on', keyPrefix);
    if (store !== undefined && typeof (store as unknown as Record<string, unknown>).acquireFenced !== 'function') {
      throw invalid('store', 'a LockStore with acquireFenced when `fencing` is on', store);
    }
  }
  const l = logger as unknown as Record<string, unknown>;
  if (
    typeof logger !== 'object' ||
    logger === null ||
    !['log', 'warn', 'error'].every((m) => typeof l[m] === 'function')
  ) {
    throw invalid('logger', 'an object with log, warn and error methods', logger);
  }
  return { redis, store, keyPrefix, ttlMs, fencing, wakeOnRelease, logger };
}

export interface ResolvedRetry {
  totalMs: number;
  baseMs: number;
  maxMs: number;
}

export interface ResolvedCallOptions {
  readonly retry: ResolvedRetry | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A call without options, the common case, allocates nothing for them. */
const NO_CALL_OPTIONS: ResolvedCallOptions = Object.freeze({ retry: undefined, signal: undefined });

export function resolveCallOptions(options: WithSpaceLockOptions | undefined): ResolvedCallOptions {
  if (options === undefined) return NO_CALL_OPTIONS;
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const { acquireRetry, signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalid('options.signal', 'an AbortSignal', signal);
  if (acquireRetry === undefined) return { retry: undefined, signal };
  if (typeof acquireRetry !== 'object' || acquireRetry === null) {
    throw invalid('options.acquireRetry', 'an object', acquireRetry);
  }
  const { totalMs, baseMs = DEFAULT_RETRY_BASE_MS, maxMs = Math.max(DEFAULT_RETRY_MAX_MS, baseMs) } = acquireRetry;
  assertInteger('options.acquireRetry.totalMs', totalMs, 0);
  assertInteger('options.acquireRetry.baseMs', baseMs, 1);
  assertInteger('options.acquireRetry.maxMs', maxMs, baseMs);
  return { retry: { totalMs, baseMs, maxMs }, signal };
}
