import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { LockLostError, SpaceLock } from '../../src';
import {
  closeClient,
  createClient,
  startRedisServer,
  uniquePrefix,
  waitFor,
  type DisposableRedis,
} from '../helpers/redis-server';
import { abortedWithin, recordingLogger } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

/**
 * How a service should configure ioredis for the lock: fail a command instead
 * of queueing it while disconnected, and give up on a hung one quickly, so a
 * broken Redis reaches the lock as an error it can act on.
 */
const FAIL_FAST: RedisOptions = {
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  commandTimeout: 150,
  connectTimeout: 1_000,
  retryStrategy: () => 50,
};

const TTL_MS = 450;

// Every fault here is server-wide, so each test gets a disposable server.
describe('when Redis is down or slow', () => {
  let server: DisposableRedis;
  let admin: Redis;
  let prefix: string;

  beforeEach(async () => {
    server = await startRedisServer();
    admin = createClient(server.url);
    prefix = uniquePrefix(expect.getState().currentTestName ?? 'faults');
  });
  afterEach(() => server.stop());

  async function readyClient(): Promise<Redis> {
    const client = createClient(server.url, FAIL_FAST);
    await waitFor('the lock client to connect', () => client.status === 'ready', 5_000);
    return client;
  }

  it('rejects an acquire while the server is stopped, keeps no slot, and works again after a restart', async () => {
    const client = await readyClient();
    const lock = new SpaceLock({ redis: client, keyPrefix: prefix, ttlMs: TTL_MS, logger: recordingLogger() });
    await server.stop();
    await waitFor('the lock client to notice the server is gone', () => client.status !== 'ready', 5_000);

    const fn = jest.fn(() => Promise.resolve('ran'));
    await expect(lock.withSpaceLock('space-1', fn)).rejects.toThrow();
    expect(fn).not.toHaveBeenCalled();
    expect(lock.isRunning('space-1')).toBe(false);

    await server.restart();
    await waitFor('the lock client to reconnect', () => client.status === 'ready', 5_000);
    // An in-progress answer here would mean the failed call left its slot behind.
    await expect(lock.withSpaceLock('space-1', fn)).resolves.toBe('ran');
    expect(await admin.exists(`${prefix}space-1`)).toBe(0);
  });

  type Fault = (server: DisposableRedis) => Promise<{ recovered: Promise<unknown> }>;
  const faults: Array<[string, Fault]> = [
    [
      'CLIENT PAUSE',
      async () => {
        await admin.call('CLIENT', 'PAUSE', String(4 * TTL_MS), 'ALL');
        return { recovered: admin.ping() };
      },
    ],
    [
      'DEBUG SLEEP',
      async () => {
        // The sleeper's own reply only comes back when the server wakes up.
        const sleeper = createClient(server.url);
        await sleeper.ping();
        const recovered = sleeper
          .call('DEBUG', 'SLEEP', String((4 * TTL_MS) / 1000))
          .finally(() => closeClient(sleeper));
        return { recovered };
      },
    ],
    [
      'the server stopped',
      async (s) => {
        await s.stop();
        return { recovered: Promise.resolve() };
      },
    ],
  ];

  it.each(faults)(
    'aborts the signal as expired when refreshes fail past the TTL (%s), and still returns fn’s result',
    async (_name, inject) => {
      const logger = recordingLogger();
      const lock = new SpaceLock({ redis: await readyClient(), keyPrefix: prefix, ttlMs: TTL_MS, logger });
      let recovered: Promise<unknown> = Promise.resolve();

      const out = await lock.withSpaceLock('space-1', async ({ signal }) => {
        ({ recovered } = await inject(server));
        const reason = await abortedWithin(signal, 6 * TTL_MS);
        return { reason };
      });

      expect(out).toEqual({ reason: expect.any(LockLostError) as LockLostError });
      const { reason } = out as { reason: LockLostError };
      expect(reason.reason).toBe('expired');
      expect(reason.spaceId).toBe('space-1');
      expect(logger.warnings.some((w) => w.includes('heartbeat failed') && w.includes('space-1'))).toBe(true);
      expect(lock.isRunning('space-1')).toBe(false);
      await recovered;
    },
  );
});
