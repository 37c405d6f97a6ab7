import type Redis from 'ioredis';
import { MemoryLockStore, SKIP_IN_PROGRESS, SKIP_LOCK_HELD, SpaceLock } from '../../src';
import { createClient, deleteKeys, getRedisUrl, uniquePrefix } from '../helpers/redis-server';
import { gate, recordingLogger } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

/**
 * One place where two replicas meet. Each `replica()` is a separate SpaceLock
 * instance, with its own connection when the target is a real Redis.
 */
interface Target {
  readonly name: string;
  setup(): Promise<void>;
  replica(keyPrefix: string): SpaceLock;
  /** The raw value of a lock key, as a third party would see it. */
  holder(key: string): Promise<string | null>;
  cleanup(keyPrefix: string): Promise<void>;
}

function redisTarget(): Target {
  let url = '';
  let admin: Redis;
  return {
    name: 'real Redis, one connection per replica',
    async setup() {
      url = await getRedisUrl();
      admin = createClient(url);
    },
    replica: (keyPrefix) =>
      new SpaceLock({ redis: createClient(url), keyPrefix, ttlMs: 5_000, logger: recordingLogger() }),
    holder: (key) => admin.get(key),
    async cleanup(keyPrefix) {
      await deleteKeys(admin, keyPrefix);
    },
  };
}

function memoryTarget(): Target {
  const store = new MemoryLockStore();
  return {
    name: 'MemoryLockStore shared by the replicas',
    setup: () => Promise.resolve(),
    replica: (keyPrefix) => new SpaceLock({ store, keyPrefix, ttlMs: 5_000, logger: recordingLogger() }),
    holder: (key) => Promise.resolve(store.holder(key) ?? null),
    cleanup: () => Promise.resolve(),
  };
}

describe.each([redisTarget(), memoryTarget()])('exclusion between replicas on $name', (target) => {
  let prefix: string;

  beforeAll(() => target.setup());
  beforeEach(() => {
    prefix = uniquePrefix(expect.getState().currentTestName ?? 'exclusion');
  });
  afterEach(() => target.cleanup(prefix));

  it('gives lock-held to the second replica without running its fn, then lets it in after release', async () => {
    const a = target.replica(prefix);
    const b = target.replica(prefix);
    const held = gate();
    const entered = gate();
    const first = a.withSpaceLock('space-1', async () => {
      entered.open();
      await held.promise;
      return 'a-done';
    });
    await entered.promise;
    expect(await target.holder(`${prefix}space-1`)).toBe(a.instanceId);

    const bFn = jest.fn(() => Promise.resolve('b-ran'));
    await expect(b.withSpaceLock('space-1', bFn)).resolves.toBe(SKIP_LOCK_HELD);
    expect(bFn).not.toHaveBeenCalled();

    held.open();
    await expect(first).resolves.toBe('a-done');
    expect(await target.holder(`${prefix}space-1`)).toBeNull();

    await expect(b.withSpaceLock('space-1', bFn)).resolves.toBe('b-ran');
    expect(bFn).toHaveBeenCalledTimes(1);
  });

  it('does not make different spaces wait on each other', async () => {
    const a = target.replica(prefix);
    const b = target.replica(prefix);
    const held = gate();
    const entered = gate();
    const first = a.withSpaceLock('space-1', async () => {
      entered.open();
      await held.promise;
    });
    await entered.promise;
    await expect(b.withSpaceLock('space-2', () => 'other-space')).resolves.toBe('other-space');
    held.open();
    await first;
  });

  it('answers in-progress to a second call in the same instance, and lets exactly one fn run', async () => {
    const a = target.replica(prefix);
    const runs: string[] = [];
    const [x, y] = await Promise.all([
      a.withSpaceLock('space-1', () => void runs.push('x')),
      a.withSpaceLock('space-1', () => void runs.push('y')),
    ]);
    expect(runs).toEqual(['x']);
    expect(y).toBe(SKIP_IN_PROGRESS);
    expect(x).toBeUndefined();
  });

  it('releases the lock when fn throws, and rethrows the same error', async () => {
    const a = target.replica(prefix);
    const b = target.replica(prefix);
    const boom = new Error('boom');
    await expect(a.withSpaceLock('space-1', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await target.holder(`${prefix}space-1`)).toBeNull();
    await expect(b.withSpaceLock('space-1', () => 'after-throw')).resolves.toBe('after-throw');
  });
});
