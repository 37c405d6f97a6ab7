import {
  LockLostError,
  SKIP_IN_PROGRESS,
  SKIP_LOCK_HELD,
  SpaceLock,
  SpaceLockClosedError,
  isSpaceLockSkip,
  type SpaceLockContext,
} from '../../src';
import { driftMs } from '../../src/timing';
import { FakeRedis, RecordingLogger, deferred } from '../helpers/fake-redis';

const TTL = 3_000;
const INTERVAL = TTL / 3;
/** When a lease acquired at 0 and never refreshed runs out: 2 943 ms, off the heartbeat grid. */
const DEADLINE = TTL - driftMs(TTL);
const KEY = 'git-sync:lock:space-1';

let redis: FakeRedis;
let logger: RecordingLogger;
let lock: SpaceLock;

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  redis = new FakeRedis();
  logger = new RecordingLogger();
  lock = new SpaceLock({ redis, ttlMs: TTL, logger });
});

afterEach(async () => {
  // Every path (success, skip, throw, lost, closed) must leave no heartbeat or wait timer behind. The
  // scheduler drops its timer at the end of the turn in which it ran empty, hence the tick.
  await endOfTurn();
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

/** Resolves after the promise reactions of this turn, when the scheduler drops a timer it no longer needs. */
const endOfTurn = () => new Promise<void>((resolve) => process.nextTick(resolve));

/** Holds space-1 on `lock` until `end()`; the signal is read on entry. */
function hold() {
  const gate = deferred();
  let signal: AbortSignal | undefined;
  const run = lock.withSpaceLock('space-1', async (ctx) => {
    signal = ctx.signal;
    await gate.promise;
    return 'done';
  });
  return { run, signal: () => signal, end: () => gate.resolve() };
}

describe('wire contract', () => {
  it('acquires with exactly SET <prefix><spaceId> <instanceId> PX <ttl> NX', async () => {
    await lock.withSpaceLock('space-1', () => undefined);
    expect(redis.calls[0]).toEqual({ command: 'set', args: [KEY, lock.instanceId, 'PX', TTL, 'NX'] });
  });

  it('uses the default prefix and TTL', async () => {
    const plain = new SpaceLock({ redis, logger });
    await plain.withSpaceLock('s', () => undefined);
    expect(redis.calls[0].args).toEqual(['git-sync:lock:s', plain.instanceId, 'PX', 30_000, 'NX']);
  });

  it('instanceId is a UUID per instance, and read-only', () => {
    const other = new SpaceLock({ redis, logger });
    expect(lock.instanceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(other.instanceId).not.toBe(lock.instanceId);
    expect(() => {
      (lock as { instanceId: string }).instanceId = 'x';
    }).not.toThrow();
    // `readonly` is a compile-time promise; the value the lock writes must not follow a mutation.
  });

  it('releases with the compare-and-delete script: numkeys 1, the key, ARGV[1] = instanceId', async () => {
    await lock.withSpaceLock('space-1', () => undefined);
    const [release] = redis.callsOf('release');
    expect(release).toBeDefined();
    const [scriptOrSha, numKeys, key, owner, ...rest] = release.args;
    expect(typeof scriptOrSha).toBe('string');
    expect([numKeys, key, owner, rest]).toEqual([1, KEY, lock.instanceId, []]);
    expect(redis.get(KEY)).toBeUndefined();
  });

  it('sends scripts by EVALSHA and falls back to EVAL on NOSCRIPT', async () => {
    await lock.withSpaceLock('space-1', () => undefined);
    await lock.withSpaceLock('space-1', () => undefined);
    const commands = redis.calls.filter((c) => c.script === 'release').map((c) => c.command);
    expect(commands).toEqual(['evalsha', 'eval', 'evalsha']);
    const evalCall = redis.calls.find((c) => c.command === 'eval')!;
    expect(evalCall.args[0]).toContain('redis.call("GET", KEYS[1]) == ARGV[1]');
    expect(evalCall.args[0]).toContain('redis.call("DEL", KEYS[1])');
  });

  it('refreshes after ttl/3 with the compare-and-pexpire script: ARGV[1] = instanceId, ARGV[2] = String(ttl)', async () => {
    const gate = deferred();
    const run = lock.withSpaceLock('space-1', () => gate.promise);
    await jest.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(redis.callsOf('refresh')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    const refreshes = redis.callsOf('refresh');
    expect(refreshes).toHaveLength(1);
    const [, numKeys, key, owner, ttl] = refreshes[0].args;
    expect([numKeys, key, owner, ttl]).toEqual([1, KEY, lock.instanceId, String(TTL)]);
    expect(redis.calls.find((c) => c.script === 'refresh' && c.command === 'eval')?.args[0]).toContain(
      'redis.call("PEXPIRE", KEYS[1], ARGV[2])',
    );
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(redis.callsOf('refresh')).toHaveLength(2);
    gate.resolve();
    await run;
  });

  it('refreshes every floor(ttl/3) ms for short TTLs too', async () => {
    const short = new SpaceLock({ redis, ttlMs: 90, logger, keyPrefix: 'short:' });
    const gate = deferred();
    const run = short.withSpaceLock('s', () => gate.promise);
    await jest.advanceTimersByTimeAsync(29);
    expect(redis.callsOf('refresh')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(redis.callsOf('refresh')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(30);
    expect(redis.callsOf('refresh')).toHaveLength(2);
    gate.resolve();
    await run;
  });

  it('tells a hold whose TTL is shorter than the drift margin at once that it cannot count on the key', async () => {
    const tiny = new SpaceLock({ redis, ttlMs: 3, logger, keyPrefix: 'tiny:' });
    const h = { signal: undefined as AbortSignal | undefined, gate: deferred() };
    const run = tiny.withSpaceLock('s', async (ctx) => {
      h.signal = ctx.signal;
      await h.gate.promise;
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.signal?.reason).toMatchObject({ name: 'LockLostError', reason: 'expired' });
    h.gate.resolve();
    await run;
  });
});

describe('skips', () => {
  it('lock-held: fn does not run and no release is sent', async () => {
    redis.put(KEY, 'another-replica');
    const fn = jest.fn();
    await expect(lock.withSpaceLock('space-1', fn)).resolves.toBe(SKIP_LOCK_HELD);
    expect(fn).not.toHaveBeenCalled();
    expect(redis.calls.map((c) => c.command)).toEqual(['set']);
    expect(redis.get(KEY)).toBe('another-replica');
  });

  it('treats any reply other than OK as lock-held', async () => {
    redis.override('set', () => Promise.resolve('QUEUED'));
    const fn = jest.fn();
    await expect(lock.withSpaceLock('space-1', fn)).resolves.toEqual({ skipped: 'lock-held' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('in-progress: two calls in the same tick put exactly one SET on the wire', async () => {
    const gate = deferred();
    const first = lock.withSpaceLock('space-1', () => gate.promise.then(() => 'first'));
    const second = lock.withSpaceLock('space-1', () => 'second');
    await expect(second).resolves.toBe(SKIP_IN_PROGRESS);
    expect(redis.callsOf('set')).toHaveLength(1);
    gate.resolve();
    await expect(first).resolves.toBe('first');
  });

  it('in-progress sends nothing to Redis while the space is held by this instance', async () => {
    const gate = deferred();
    const first = lock.withSpaceLock('space-1', () => gate.promise);
    await Promise.resolve();
    const before = redis.calls.length;
    await expect(lock.withSpaceLock('space-1', () => 1)).resolves.toEqual({ skipped: 'in-progress' });
    expect(redis.calls.length).toBe(before);
    gate.resolve();
    await first;
  });

  it('different spaces do not block each other', async () => {
    const gate = deferred();
    const a = lock.withSpaceLock('a', () => gate.promise.then(() => 'a'));
    await expect(lock.withSpaceLock('b', () => 'b')).resolves.toBe('b');
    gate.resolve();
    await expect(a).resolves.toBe('a');
  });

  it('identifies skips by identity, not by shape', async () => {
    const lookalike = { skipped: 'lock-held' };
    const out = await lock.withSpaceLock('space-1', () => lookalike);
    expect(out).toBe(lookalike);
    expect(isSpaceLockSkip(out)).toBe(false);
    expect(isSpaceLockSkip(SKIP_LOCK_HELD)).toBe(true);
    expect(isSpaceLockSkip(SKIP_IN_PROGRESS)).toBe(true);
  });
});

describe('critical section', () => {
  it('returns fn result as it is', async () => {
    const result = { pages: 3 };
    await expect(lock.withSpaceLock('space-1', () => Promise.resolve(result))).resolves.toBe(result);
  });

  it('passes { spaceId, signal } and still supports fns with no parameters', async () => {
    let seen: SpaceLockContext | undefined;
    await lock.withSpaceLock('space-1', (ctx) => {
      seen = ctx;
    });
    expect(seen?.spaceId).toBe('space-1');
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    expect(seen?.signal.aborted).toBe(false);
    await expect(lock.withSpaceLock('space-1', () => 42)).resolves.toBe(42);
  });

  it('fn throws: the same error is rethrown after the release is sent', async () => {
    const boom = new Error('boom');
    await expect(lock.withSpaceLock('space-1', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(redis.callsOf('release')).toHaveLength(1);
    expect(redis.get(KEY)).toBeUndefined();
    expect(lock.isRunning('space-1')).toBe(false);
  });

  it('a synchronous throw is treated the same way', async () => {
    const boom = new TypeError('sync');
    await expect(
      lock.withSpaceLock('space-1', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(redis.callsOf('release')).toHaveLength(1);
  });

  it('finally: heartbeat cleared, then release, then the slot is freed', async () => {
    const releasing = deferred<unknown>();
    redis.override('release', () => releasing.promise);
    const run = lock.withSpaceLock('space-1', () => 'done');
    await jest.advanceTimersByTimeAsync(0);
    expect(redis.callsOf('release')).toHaveLength(1);
    // The release is on the wire: the heartbeat is already gone (the one timer
    // left bounds the release), and the slot is still reserved.
    expect(jest.getTimerCount()).toBe(1);
    expect(lock.isRunning('space-1')).toBe(true);
    await expect(lock.withSpaceLock('space-1', () => 'again')).resolves.toBe(SKIP_IN_PROGRESS);
    await jest.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(redis.callsOf('refresh')).toHaveLength(0);
    expect(lock.isRunning('space-1')).toBe(true);
    releasing.resolve(1);
    await expect(run).resolves.toBe('done');
    expect(lock.isRunning('space-1')).toBe(false);
  });
});

describe('failures', () => {
  it('release rejects: a warning names the space and the error, and fn result is still returned', async () => {
    redis.override('release', () => Promise.reject(new Error('connection reset')));
    await expect(lock.withSpaceLock('space-1', () => 'result')).resolves.toBe('result');
    expect(logger.at('warn')).toEqual([expect.stringMatching(/space-1.*connection reset/)]);
    expect(lock.isRunning('space-1')).toBe(false);
  });

  it('release rejects while fn threw: fn error wins', async () => {
    redis.override('release', () => Promise.reject(new Error('connection reset')));
    const boom = new Error('fn failed');
    await expect(
      lock.withSpaceLock('space-1', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(logger.at('warn')).toHaveLength(1);
  });

  it('refresh rejects: a warning is logged and fn completes', async () => {
    redis.override('refresh', () => Promise.reject(new Error('timeout')));
    const h = hold();
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(logger.at('warn')).toEqual([expect.stringMatching(/space-1.*timeout/)]);
    expect(h.signal()?.aborted).toBe(false);
    h.end();
    await expect(h.run).resolves.toBe('done');
  });

  it('refresh replies 0: the signal aborts with LockLostError and fn keeps running', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const run = lock.withSpaceLock('space-1', async (ctx) => {
      signal = ctx.signal;
      await gate.promise;
      return 'finished anyway';
    });
    await Promise.resolve();
    redis.put(KEY, 'usurper');
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(signal?.aborted).toBe(true);
    const reason = signal?.reason as LockLostError;
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason).toMatchObject({ name: 'LockLostError', spaceId: 'space-1', key: KEY, reason: 'not-owner' });
    // Once lost, the heartbeat stops: refreshing someone else's key is pointless.
    await jest.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(redis.callsOf('refresh')).toHaveLength(1);
    gate.resolve();
    await expect(run).resolves.toBe('finished anyway');
    expect(redis.get(KEY)).toBe('usurper');
  });

  it('refreshes failing until the lease runs out abort the signal as expired, at the deadline and not on the heartbeat grid', async () => {
    redis.override('refresh', () => Promise.reject(new Error('ECONNREFUSED')));
    const h = hold();
    await jest.advanceTimersByTimeAsync(DEADLINE - 1);
    expect(h.signal()?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.signal()?.reason).toMatchObject({ name: 'LockLostError', reason: 'expired', spaceId: 'space-1' });
    h.end();
    await h.run;
  });

  it('a successful refresh extends the lease', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const run = lock.withSpaceLock('space-1', async (ctx) => {
      signal = ctx.signal;
      await gate.promise;
    });
    await jest.advanceTimersByTimeAsync(TTL * 5);
    expect(signal?.aborted).toBe(false);
    expect(redis.get(KEY)).toBe(lock.instanceId);
    gate.resolve();
    await run;
  });

  it('a slow refresh is not overlapped: ticks while it is in flight are skipped', async () => {
    const slow = deferred<unknown>();
    redis.override('refresh', () => slow.promise);
    const gate = deferred();
    const run = lock.withSpaceLock('space-1', () => gate.promise);
    await jest.advanceTimersByTimeAsync(INTERVAL * 2 + 10);
    expect(redis.callsOf('refresh')).toHaveLength(1);
    slow.resolve(1);
    redis.clearOverride('refresh');
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(redis.callsOf('refresh')).toHaveLength(2);
    gate.resolve();
    await run;
  });

  it('acquire throws: the error propagates, no slot is left reserved and no timer runs', async () => {
    const down = new Error('ECONNREFUSED 127.0.0.1:6379');
    redis.override('set', () => Promise.reject(down));
    const fn = jest.fn();
    await expect(lock.withSpaceLock('space-1', fn)).rejects.toBe(down);
    expect(fn).not.toHaveBeenCalled();
    expect(lock.isRunning('space-1')).toBe(false);
    await endOfTurn();
    expect(jest.getTimerCount()).toBe(0);
    redis.clearOverride('set');
    await expect(lock.withSpaceLock('space-1', () => 'recovered')).resolves.toBe('recovered');
  });
});

describe('acquire retry', () => {
  afterEach(() => jest.restoreAllMocks());

  it('retries lock-held with exponential backoff and full jitter until it acquires', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    redis.put(KEY, 'other', 1_000);
    const fn = jest.fn(() => 'ran');
    const run = lock.withSpaceLock('space-1', fn, { acquireRetry: { totalMs: 5_000, baseMs: 100, maxMs: 400 } });
    await jest.advanceTimersByTimeAsync(0);
    expect(redis.callsOf('set')).toHaveLength(1);
    // Waits with random 0.5: 50, 100, 200, 200, 200 ... (ceilings 100, 200, 400, 400 ...).
    await jest.advanceTimersByTimeAsync(50);
    expect(redis.callsOf('set')).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(100);
    expect(redis.callsOf('set')).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(200);
    expect(redis.callsOf('set')).toHaveLength(4);
    expect(fn).not.toHaveBeenCalled();
    // The other holder's key expires at t=1000; the attempt at t=1150 acquires.
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(run).resolves.toBe('ran');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('gives up after totalMs and returns the sentinel', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    redis.put(KEY, 'other', 60_000);
    const fn = jest.fn();
    const run = lock.withSpaceLock('space-1', fn, { acquireRetry: { totalMs: 1_000, baseMs: 100, maxMs: 300 } });
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(run).resolves.toBe(SKIP_LOCK_HELD);
    expect(fn).not.toHaveBeenCalled();
    const attempts = redis.callsOf('set').length;
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThan(12);
  });

  it('retries in-progress too, and runs once the local holder is done', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const gate = deferred();
    const first = lock.withSpaceLock('space-1', () => gate.promise);
    const second = lock.withSpaceLock('space-1', () => 'second', { acquireRetry: { totalMs: 2_000 } });
    await jest.advanceTimersByTimeAsync(300);
    gate.resolve();
    await first;
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(second).resolves.toBe('second');
  });

  it('wakes a waiter at the release of this instance’s own hold (in-progress), without waiting out its backoff', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const gate = deferred();
    const first = lock.withSpaceLock('space-1', () => gate.promise);
    const second = lock.withSpaceLock('space-1', () => 'second', {
      acquireRetry: { totalMs: 10_000, baseMs: 1_000, maxMs: 1_000 },
    });
    await jest.advanceTimersByTimeAsync(10);
    gate.resolve();
    await first;
    // No time passes: the release itself woke the waiter.
    await jest.advanceTimersByTimeAsync(0);
    await expect(second).resolves.toBe('second');
    expect(redis.callsOf('set')).toHaveLength(2);
  });

  it('wakes a waiter at a release by another SpaceLock of this process (lock-held)', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const other = new SpaceLock({ redis, ttlMs: TTL, logger });
    const gate = deferred();
    const first = other.withSpaceLock('space-1', () => gate.promise);
    await jest.advanceTimersByTimeAsync(0);
    const second = lock.withSpaceLock('space-1', () => 'second', {
      acquireRetry: { totalMs: 10_000, baseMs: 1_000, maxMs: 1_000 },
    });
    await jest.advanceTimersByTimeAsync(10);
    expect(redis.callsOf('set')).toHaveLength(2);
    gate.resolve();
    await first;
    await jest.advanceTimersByTimeAsync(0);
    await expect(second).resolves.toBe('second');
    expect(redis.callsOf('set')).toHaveLength(3);
  });

  it('wakes the longest waiter of the process first', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const gate = deferred();
    const ran: number[] = [];
    const first = lock.withSpaceLock('space-1', () => gate.promise);
    const waiters = [1, 2, 3].map((n) =>
      lock.withSpaceLock('space-1', () => void ran.push(n), {
        acquireRetry: { totalMs: 60_000, baseMs: 1_000, maxMs: 1_000 },
      }),
    );
    await jest.advanceTimersByTimeAsync(10);
    gate.resolve();
    await first;
    await jest.advanceTimersByTimeAsync(0);
    expect(ran).toEqual([1, 2, 3]);
    await Promise.all(waiters);
  });

  it('the signal cancels the waiting: rejects with its reason and leaves no timer', async () => {
    redis.put(KEY, 'other', 60_000);
    const controller = new AbortController();
    const fn = jest.fn();
    const run = lock.withSpaceLock('space-1', fn, { acquireRetry: { totalMs: 10_000 }, signal: controller.signal });
    const settled = run.catch((err: unknown) => err);
    await jest.advanceTimersByTimeAsync(200);
    const attempts = redis.callsOf('set').length;
    const cancelled = new Error('shutting down');
    controller.abort(cancelled);
    await expect(settled).resolves.toBe(cancelled);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(redis.callsOf('set')).toHaveLength(attempts);
    expect(fn).not.toHaveBeenCalled();
  });

  it('an already aborted signal rejects before anything is sent', async () => {
    const controller = new AbortController();
    controller.abort(new Error('no'));
    await expect(lock.withSpaceLock('space-1', () => 1, { signal: controller.signal })).rejects.toThrow('no');
    expect(redis.calls).toHaveLength(0);
  });

  it('the default is a single try', async () => {
    redis.put(KEY, 'other');
    await expect(lock.withSpaceLock('space-1', () => 1)).resolves.toBe(SKIP_LOCK_HELD);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(redis.callsOf('set')).toHaveLength(1);
  });

  it('a fn result that is a sentinel from a nested call is never retried', async () => {
    const fn = jest.fn(() => SKIP_LOCK_HELD);
    await expect(lock.withSpaceLock('space-1', fn, { acquireRetry: { totalMs: 1_000 } })).resolves.toBe(SKIP_LOCK_HELD);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('close()', () => {
  it('rejects new work with SpaceLockClosedError', async () => {
    await lock.close();
    const err = await lock.withSpaceLock('space-1', () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpaceLockClosedError);
    expect(err).toMatchObject({ spaceId: 'space-1', instanceId: lock.instanceId });
    expect(redis.calls).toHaveLength(0);
  });

  it('waits for running fns within the grace period', async () => {
    const gate = deferred();
    const run = lock.withSpaceLock('space-1', () => gate.promise.then(() => 'done'));
    await jest.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = lock.close({ graceMs: 5_000 }).then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(closed).toBe(false);
    gate.resolve();
    await expect(run).resolves.toBe('done');
    await closing;
    expect(redis.get(KEY)).toBeUndefined();
  });

  it('after the grace period, releases held locks and aborts their signals', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const run = lock.withSpaceLock('space-1', async (ctx) => {
      signal = ctx.signal;
      await gate.promise;
    });
    await jest.advanceTimersByTimeAsync(0);
    const closing = lock.close({ graceMs: 500 });
    await jest.advanceTimersByTimeAsync(500);
    await closing;
    expect(redis.get(KEY)).toBeUndefined();
    expect(signal?.reason).toMatchObject({ name: 'LockLostError', reason: 'closed' });
    gate.resolve();
    await run;
  });
});

describe('in-memory default', () => {
  it('is used when no Redis is given, and says once that it is single-replica', () => {
    jest.isolateModules(() => {
      // A fresh module registry, so the process-wide store and its one log line start anew. A require:
      // isolateModules loads synchronously.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SpaceLock: FreshLock } = require('../../src') as typeof import('../../src');
      const a = new FreshLock({ logger, keyPrefix: 'mem:' });
      const b = new FreshLock({ logger, keyPrefix: 'mem:' });
      expect(a).not.toBe(b);
    });
    expect(logger.at('log')).toEqual([expect.stringMatching(/single-replica/)]);
  });

  it('excludes two instances of one process from the same space', async () => {
    const a = new SpaceLock({ logger, keyPrefix: 'mem-excl:' });
    const b = new SpaceLock({ logger, keyPrefix: 'mem-excl:' });
    const gate = deferred();
    const first = a.withSpaceLock('s', () => gate.promise);
    await expect(b.withSpaceLock('s', () => 1)).resolves.toBe(SKIP_LOCK_HELD);
    gate.resolve();
    await first;
    await expect(b.withSpaceLock('s', () => 2)).resolves.toBe(2);
  });
});

describe('lease deadline', () => {
  it('a refresh that hangs past the lease aborts the signal as expired at the deadline', async () => {
    redis.override('refresh', () => new Promise(() => undefined));
    const h = hold();
    await jest.advanceTimersByTimeAsync(DEADLINE - 1);
    expect(h.signal()?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.signal()?.reason).toMatchObject({ name: 'LockLostError', reason: 'expired' });
    h.end();
    await h.run;
  });

  it('a confirmed refresh moves the deadline to its send time + ttl - drift, however late its reply came', async () => {
    const reply = deferred<unknown>();
    redis.override('refresh', () => reply.promise);
    const h = hold();
    // The refresh sent at INTERVAL is answered 500 ms later; every later one hangs.
    await jest.advanceTimersByTimeAsync(INTERVAL + 500);
    reply.resolve(1);
    redis.override('refresh', () => new Promise(() => undefined));
    await jest.advanceTimersByTimeAsync(DEADLINE - 500 - 1);
    expect(h.signal()?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.signal()?.reason).toMatchObject({ reason: 'expired' });
    h.end();
    await h.run;
  });

  it('a refresh confirmed after the deadline has passed does not bring the hold back', async () => {
    const reply = deferred<unknown>();
    redis.override('refresh', () => reply.promise);
    const h = hold();
    await jest.advanceTimersByTimeAsync(DEADLINE);
    expect(h.signal()?.reason).toMatchObject({ reason: 'expired' });
    reply.resolve(1);
    await jest.advanceTimersByTimeAsync(TTL);
    expect(h.signal()?.reason).toMatchObject({ reason: 'expired' });
    expect(redis.callsOf('refresh')).toHaveLength(1);
    h.end();
    await h.run;
  });

  it('a wall-clock jump neither ends the lease early nor stretches it', async () => {
    redis.override('refresh', () => new Promise(() => undefined));
    const h = hold();
    await jest.advanceTimersByTimeAsync(INTERVAL);
    jest.setSystemTime(Date.now() + 3_600_000);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.signal()?.aborted).toBe(false);
    jest.setSystemTime(Date.now() - 7_200_000);
    await jest.advanceTimersByTimeAsync(DEADLINE - INTERVAL - 2);
    expect(h.signal()?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.signal()?.reason).toMatchObject({ reason: 'expired' });
    h.end();
    await h.run;
  });
});

describe('ctx.signal made on first read', () => {
  it('a signal first read after the lock was lost is already aborted with the LockLostError', async () => {
    const gate = deferred();
    let ctx: SpaceLockContext | undefined;
    const run = lock.withSpaceLock('space-1', async (c) => {
      ctx = c;
      await gate.promise;
    });
    await Promise.resolve();
    redis.put(KEY, 'usurper');
    await jest.advanceTimersByTimeAsync(INTERVAL);
    const signal = ctx!.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: 'LockLostError', reason: 'not-owner' });
    expect(ctx!.signal).toBe(signal);
    gate.resolve();
    await run;
  });

  it('a signal read before the loss is the one that aborts', async () => {
    const gate = deferred();
    let signal: AbortSignal | undefined;
    const onAbort = jest.fn();
    const run = lock.withSpaceLock('space-1', async ({ signal: s }) => {
      signal = s;
      s.addEventListener('abort', onAbort);
      await gate.promise;
    });
    await Promise.resolve();
    redis.put(KEY, 'usurper');
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(signal?.reason).toBeInstanceOf(LockLostError);
    gate.resolve();
    await run;
  });
});

describe('replies in any format ioredis gives', () => {
  it('takes the numeric strings of a stringNumbers client as the integers they are', async () => {
    redis.override('refresh', () => Promise.resolve('1'));
    redis.override('release', () => Promise.resolve('1'));
    const h = hold();
    await jest.advanceTimersByTimeAsync(TTL * 3);
    expect(redis.callsOf('refresh').length).toBeGreaterThanOrEqual(8);
    expect(h.signal()?.aborted).toBe(false);
    expect(logger.at('warn')).toEqual([]);
    h.end();
    await expect(h.run).resolves.toBe('done');
    expect(logger.at('warn')).toEqual([]);
  });

  it("reads '0' from a refresh as loss of the lock", async () => {
    redis.override('refresh', () => Promise.resolve('0'));
    const h = hold();
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(h.signal()?.reason).toMatchObject({ name: 'LockLostError', reason: 'not-owner' });
    h.end();
    await h.run;
  });

  it.each([
    ['a word', 'yes'],
    ['null', null],
    ['an integer other than 0 or 1', 2],
    ['an array', [1]],
    ['a fraction', 1.5],
  ])(
    'logs %s from a refresh with the script and the space, and counts it as a failed refresh, not a loss',
    async (_label, reply) => {
      redis.override('refresh', () => Promise.resolve(reply));
      const h = hold();
      await jest.advanceTimersByTimeAsync(INTERVAL);
      expect(h.signal()?.aborted).toBe(false);
      expect(logger.at('warn')).toEqual([expect.stringMatching(/space-1.*refresh-1\.lua/)]);
      // A refresh that did not confirm the lease does not extend it.
      await jest.advanceTimersByTimeAsync(TTL);
      expect(h.signal()?.reason).toMatchObject({ name: 'LockLostError', reason: 'expired' });
      h.end();
      await h.run;
    },
  );

  it('logs an unreadable release reply with the script and the space, and still returns fn’s result', async () => {
    redis.override('release', () => Promise.resolve('gone'));
    await expect(lock.withSpaceLock('space-1', () => 'result')).resolves.toBe('result');
    expect(logger.at('warn')).toEqual([expect.stringMatching(/space-1.*release-1\.lua.*'gone'/)]);
  });
});

describe('release bounded by the lease', () => {
  it('a store whose release throws instead of rejecting: fn’s result is returned, with a warning, and the heartbeat stops', async () => {
    const yes = () => Promise.resolve(true);
    const throwing = new SpaceLock({
      store: {
        acquire: yes,
        refresh: yes,
        release: () => {
          throw new Error('not a promise');
        },
      },
      ttlMs: TTL,
      logger,
    });
    await expect(throwing.withSpaceLock('space-1', () => 'done')).resolves.toBe('done');
    expect(logger.at('warn')).toEqual([expect.stringMatching(/release failed for space space-1: not a promise/)]);
    expect(throwing.isRunning('space-1')).toBe(false);
  });

  it('abandons a release still unanswered at the lease deadline with a warning, so withSpaceLock returns', async () => {
    redis.override('release', () => new Promise(() => undefined));
    let returned = false;
    const run = lock
      .withSpaceLock('space-1', () => 'done')
      .then((out) => {
        returned = true;
        return out;
      });
    await jest.advanceTimersByTimeAsync(0);
    expect(redis.callsOf('release')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(returned).toBe(false);
    expect(lock.isRunning('space-1')).toBe(true);
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(returned).toBe(true);
    await expect(run).resolves.toBe('done');
    expect(logger.at('warn')).toEqual([
      expect.stringMatching(/release of space space-1 still unanswered at the lease deadline/),
    ]);
    expect(lock.isRunning('space-1')).toBe(false);
  });

  it('a late failure of an abandoned release is not reported a second time', async () => {
    const late = deferred<unknown>();
    redis.override('release', () => late.promise);
    const run = lock.withSpaceLock('space-1', () => 'done');
    await jest.advanceTimersByTimeAsync(TTL);
    await expect(run).resolves.toBe('done');
    late.reject(new Error('connection reset'));
    await jest.advanceTimersByTimeAsync(0);
    expect(logger.at('warn')).toHaveLength(1);
  });
});
