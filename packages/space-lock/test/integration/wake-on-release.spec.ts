import type { RedisOptions } from 'ioredis';
import type Redis from 'ioredis';
import { SpaceLock } from '../../src';
import { scripts } from '../../src/store/redis-commands';
import { SUBSCRIBER_IDLE_MS } from '../../src/store/release-subscription';
import { createClient, startRedisServer, waitFor } from '../helpers/redis-server';
import { gate, recordingLogger, sharedRedisPerTest } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(60_000);

/** Backoff of a minute: a waiter that runs within the test's budget was woken, not timed out. */
const SLOW_RETRY = { totalMs: 120_000, baseMs: 60_000, maxMs: 60_000 };

describe('wakeOnRelease on a real Redis', () => {
  const redis = sharedRedisPerTest('wake-on-release');
  afterEach(() => jest.restoreAllMocks());

  const numsub = async (channel: string) =>
    Number(((await redis.admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('publishes the holder on the channel named like the key when its release deletes the key, and nothing when the key is someone else’s', async () => {
    const lock = new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      wakeOnRelease: true,
      logger: recordingLogger(),
    });
    const key = `${redis.prefix}space-1`;
    const listener = createClient(redis.url);
    const heard: Array<[string, string]> = [];
    listener.on('message', (channel: string, message: string) => heard.push([channel, message]));
    await listener.subscribe(key);

    await lock.withSpaceLock('space-1', () => undefined);
    await waitFor('the release to be published', () => heard.length === 1, 10_000);
    expect(heard).toEqual([[key, lock.instanceId]]);

    await lock.withSpaceLock('space-1', async () => {
      await redis.admin.set(key, 'someone-else', 'PX', 60_000);
    });
    // A marker published after the second release arrives after anything that release would have published.
    await redis.admin.publish(key, 'marker');
    await waitFor('the marker', () => heard.some(([, m]) => m === 'marker'), 10_000);
    expect(heard.map(([, m]) => m)).toEqual([lock.instanceId, 'marker']);
  });

  it.each([
    ['with `wakeOnRelease: true`', { wakeOnRelease: true }],
    ['by default', {}],
  ])(
    'wakes a waiter (%s) at once when another process releases, subscribing only while it waits',
    async (_, options) => {
      jest.spyOn(Math, 'random').mockReturnValue(0.99);
      const key = `${redis.prefix}space-1`;
      const channel = key;
      const otherProcess = createClient(redis.url);
      expect(await otherProcess.set(key, 'other-process', 'PX', 60_000, 'NX')).toBe('OK');

      const waiter = new SpaceLock({
        redis: createClient(redis.url),
        keyPrefix: redis.prefix,
        logger: recordingLogger(),
        ...options,
      });
      let ran = false;
      const waiting = waiter.withSpaceLock('space-1', () => void (ran = true), { acquireRetry: SLOW_RETRY });
      await waitFor('the waiter to listen', async () => (await numsub(channel)) === 1, 10_000);

      // The other process's release, as a SpaceLock with wakeOnRelease sends it.
      expect(await otherProcess.eval(scripts.releaseNotify.source, 1, key, 'other-process')).toBe(1);
      // Far inside the 59 s backoff: only the message can have woken it.
      await waitFor('the waiter to run', () => ran, 20_000);
      await waiting;
      await waitFor('the waiter to stop listening', async () => (await numsub(channel)) === 0, 10_000);
      await waiter.close();
    },
  );

  /** A client whose subscriber connections (made by `duplicate()`) are kept, and whose SUBSCRIBE waits for `subscribeGate`. */
  function watchedClient(
    subscribeGate?: Promise<void>,
    url = redis.url,
    options: RedisOptions = {},
  ): { client: Redis; subscribers: Redis[] } {
    const client = createClient(url, options);
    const subscribers: Redis[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const subscriber = duplicate(...args);
      subscribers.push(subscriber);
      if (subscribeGate !== undefined) {
        const subscribe = subscriber.subscribe.bind(subscriber);
        subscriber.subscribe = (async (...channels: string[]) => {
          await subscribeGate;
          return subscribe(...channels);
        }) as Redis['subscribe'];
      }
      return subscriber;
    };
    return { client, subscribers };
  }

  it('publishes by default with an ioredis client, and nothing with `wakeOnRelease: false`', async () => {
    const key = `${redis.prefix}space-1`;
    const channel = key;
    const listener = createClient(redis.url);
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe(channel);

    const byDefault = new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      logger: recordingLogger(),
    });
    await byDefault.withSpaceLock('space-1', () => undefined);
    await waitFor('the default release to be published', () => heard.length === 1, 10_000);
    expect(heard).toEqual([byDefault.instanceId]);

    const quiet = new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      wakeOnRelease: false,
      logger: recordingLogger(),
    });
    heard.length = 0;
    await quiet.withSpaceLock('space-1', () => undefined);
    await redis.admin.publish(channel, 'marker');
    await waitFor('the marker', () => heard.includes('marker'), 10_000);
    // The marker, published after that release, arrives after anything the release would have published.
    expect(heard).toEqual(['marker']);
    await Promise.all([byDefault.close(), quiet.close()]);
  });

  it('tries again once it listens, so a release between its attempt and its subscription is not missed', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const key = `${redis.prefix}space-1`;
    const subscribing = gate();
    const { client, subscribers } = watchedClient(subscribing.promise);
    // Held by a replica that does not publish: its release is a plain DEL, heard by nobody.
    expect(await redis.admin.set(key, 'deployed-replica', 'PX', 60_000, 'NX')).toBe('OK');
    const waiter = new SpaceLock({ redis: client, keyPrefix: redis.prefix, logger: recordingLogger() });
    try {
      let ran = false;
      const waiting = waiter.withSpaceLock('space-1', () => void (ran = true), { acquireRetry: SLOW_RETRY });
      await waitFor('the waiter to make its subscriber', () => subscribers.length === 1, 10_000);
      expect(await redis.admin.del(key)).toBe(1);
      subscribing.open();
      await waitFor('the waiter to run', () => ran, 20_000);
      expect(await waiting).toBeUndefined();
    } finally {
      // Closed even when an assertion fails: a subscriber left open would keep Jest from exiting.
      await waiter.close();
    }
  });

  it('closes its subscriber connection once no waiter has needed it for a while, and makes a new one for the next wait', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const key = `${redis.prefix}space-1`;
    const { client, subscribers } = watchedClient();
    const waiter = new SpaceLock({ redis: client, keyPrefix: redis.prefix, logger: recordingLogger() });
    const releaser = new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      logger: recordingLogger(),
    });
    // Closed even when an assertion fails: a subscriber left open would keep Jest from exiting.
    try {
      for (let round = 1; round <= 2; round++) {
        const held = gate();
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => (entered = resolve));
        const holding = releaser.withSpaceLock('space-1', async () => {
          entered();
          await held.promise;
        });
        await inside;
        const waiting = waiter.withSpaceLock('space-1', () => 'ran', { acquireRetry: SLOW_RETRY });
        await waitFor('the waiter to listen', async () => (await numsub(key)) === 1, 10_000);
        held.open();
        await holding;
        expect(await waiting).toBe('ran');
        expect(subscribers).toHaveLength(round);
        await waitFor(
          'the idle subscriber to be closed',
          () => subscribers[round - 1].status === 'end',
          SUBSCRIBER_IDLE_MS + 20_000,
        );
      }
    } finally {
      await Promise.all([waiter.close(), releaser.close()]);
    }
  });

  it('closes at once while Redis is down, even with a SUBSCRIBE queued for a reconnect', async () => {
    const server = await startRedisServer();
    const subscribing = gate();
    // No retry limit: a command queued while Redis is down waits for the reconnect, however long.
    const { client, subscribers } = watchedClient(subscribing.promise, server.url, { maxRetriesPerRequest: null });
    const admin = createClient(server.url, { maxRetriesPerRequest: 1 });
    expect(await admin.set('wake:space-1', 'other-process', 'PX', 60_000, 'NX')).toBe('OK');
    const waiter = new SpaceLock({ redis: client, keyPrefix: 'wake:', logger: recordingLogger() });
    const stopWaiting = new AbortController();
    const waiting = waiter.withSpaceLock('space-1', () => 'ran', {
      acquireRetry: SLOW_RETRY,
      signal: stopWaiting.signal,
    });
    const outcome = waiting.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    try {
      await waitFor('the waiter to make its subscriber', () => subscribers.length === 1, 10_000);
      await server.stop();
      await waitFor('the subscriber to lose Redis', () => subscribers[0].status !== 'ready', 10_000);
      // Its SUBSCRIBE goes out now, into the offline queue.
      subscribing.open();
      let closed = false;
      const closing = waiter.close().then(() => (closed = true));
      await waitFor('close() to return with Redis down', () => closed, 10_000);
      await closing;
    } finally {
      stopWaiting.abort(new Error('the test is over'));
      subscribers.forEach((s) => s.disconnect());
    }
    expect(await outcome).toBe('the test is over');
  });
});
