import { SpaceLock } from '../../src';
import { scripts } from '../../src/store/redis-commands';
import { createClient, waitFor } from '../helpers/redis-server';
import { recordingLogger, sharedRedisPerTest } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(60_000);

/** Backoff of a minute: a waiter that runs within the test's budget was woken, not timed out. */
const SLOW_RETRY = { totalMs: 120_000, baseMs: 60_000, maxMs: 60_000 };

describe('wakeOnRelease on a real Redis', () => {
  const redis = sharedRedisPerTest('wake-on-release');
  afterEach(() => jest.restoreAllMocks());

  const numsub = async (channel: string) =>
    Number(((await redis.admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('publishes the holder on <key>:released when its release deletes the key, and nothing when the key is someone else’s', async () => {
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
    await listener.subscribe(`${key}:released`);

    await lock.withSpaceLock('space-1', () => undefined);
    await waitFor('the release to be published', () => heard.length === 1, 10_000);
    expect(heard).toEqual([[`${key}:released`, lock.instanceId]]);

    await lock.withSpaceLock('space-1', async () => {
      await redis.admin.set(key, 'someone-else', 'PX', 60_000);
    });
    // A marker published after the second release arrives after anything that release would have published.
    await redis.admin.publish(`${key}:released`, 'marker');
    await waitFor('the marker', () => heard.some(([, m]) => m === 'marker'), 10_000);
    expect(heard.map(([, m]) => m)).toEqual([lock.instanceId, 'marker']);
  });

  it('wakes a waiter at once when another process releases, subscribing only while it waits', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.99);
    const key = `${redis.prefix}space-1`;
    const channel = `${key}:released`;
    const otherProcess = createClient(redis.url);
    expect(await otherProcess.set(key, 'other-process', 'PX', 60_000, 'NX')).toBe('OK');

    const waiter = new SpaceLock({
      redis: createClient(redis.url),
      keyPrefix: redis.prefix,
      wakeOnRelease: true,
      logger: recordingLogger(),
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
  });
});
