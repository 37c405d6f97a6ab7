import type Redis from 'ioredis';
import { SKIP_LOCK_HELD, SpaceLock } from '../../src';
import { COMMANDS_PER_WRITE } from '../../src/store/command-batch';
import { createClient } from '../helpers/redis-server';
import { gate, recordingLogger, sharedRedisPerTest, socketWrites } from './support';

jest.setTimeout(60_000);

const SPACES = 64;

/** Records the length of every explicit pipeline the client sends. */
function recordPipelines(client: Redis): number[] {
  const lengths: number[] = [];
  const pipeline = client.pipeline.bind(client);
  client.pipeline = (...args: Parameters<typeof pipeline>) => {
    const p = pipeline(...args);
    const exec = p.exec.bind(p);
    p.exec = (...execArgs: Parameters<typeof exec>) => {
      lengths.push(p.length);
      return exec(...execArgs);
    };
    return p;
  };
  return lengths;
}

/** Counts the lock's commands that went through the client's own command methods (and so its auto-pipeline). */
function countDirect(client: Redis): { count: number } {
  const direct = { count: 0 };
  for (const name of ['set', 'evalsha', 'eval'] as const) {
    const original = (client[name] as (...args: unknown[]) => unknown).bind(client);
    (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      direct.count++;
      return original(...args);
    };
  }
  return direct;
}

/** Holds SPACES spaces at once, and tries one of them a second time while it is held. */
async function holdMany(lock: SpaceLock, other: SpaceLock) {
  const done = gate();
  let started = 0;
  const allStarted = gate();
  const holds = Array.from({ length: SPACES }, (_, i) =>
    lock.withSpaceLock(`space-${i}`, async () => {
      if (++started === SPACES) allStarted.open();
      await done.promise;
      return i;
    }),
  );
  await allStarted.promise;
  const contended = await other.withSpaceLock('space-0', () => 'ran');
  done.open();
  return { outs: await Promise.all(holds), contended };
}

describe("the lock's commands of one turn go out together", () => {
  const redis = sharedRedisPerTest('command-batching');

  it('on a plain client: in socket writes of COMMANDS_PER_WRITE commands, each hold with its own outcome', async () => {
    const client = createClient(redis.url);
    await client.ping();
    const logger = recordingLogger();
    const lock = new SpaceLock({ redis: client, keyPrefix: redis.prefix, logger });
    const other = new SpaceLock({ redis: createClient(redis.url), keyPrefix: redis.prefix, logger });
    const writes = socketWrites(client);
    try {
      const { outs, contended } = await holdMany(lock, other);
      writes.stop();
      expect(outs).toEqual(Array.from({ length: SPACES }, (_, i) => i));
      expect(contended).toBe(SKIP_LOCK_HELD);
      // 64 acquires and 64 releases: a write per chunk of each turn, not one per command.
      expect(writes.count).toBeLessThanOrEqual((2 * SPACES) / COMMANDS_PER_WRITE + 4);
      expect(await redis.admin.keys(`${redis.prefix}*`)).toEqual([]);
    } finally {
      await Promise.all([lock.close(), other.close()]);
    }
    expect(logger.warnings).toEqual([]);
  });

  it('on an auto-pipelining client: in pipelines of the lock its own, never in the auto-pipeline', async () => {
    const client = createClient(redis.url, { enableAutoPipelining: true });
    await client.ping();
    const pipelines = recordPipelines(client);
    const direct = countDirect(client);
    const logger = recordingLogger();
    const lock = new SpaceLock({ redis: client, keyPrefix: redis.prefix, logger });
    const other = new SpaceLock({ redis: createClient(redis.url), keyPrefix: redis.prefix, logger });
    try {
      const { outs, contended } = await holdMany(lock, other);
      expect(outs).toEqual(Array.from({ length: SPACES }, (_, i) => i));
      expect(contended).toBe(SKIP_LOCK_HELD);
      expect(direct.count).toBe(0);
      expect(pipelines.reduce((a, b) => a + b, 0)).toBe(2 * SPACES);
      expect(Math.max(...pipelines)).toBeLessThanOrEqual(COMMANDS_PER_WRITE);
      expect(pipelines.length).toBeLessThanOrEqual((2 * SPACES) / COMMANDS_PER_WRITE + 4);
      expect(await redis.admin.keys(`${redis.prefix}*`)).toEqual([]);
    } finally {
      await Promise.all([lock.close(), other.close()]);
    }
    expect(logger.warnings).toEqual([]);
  });
});
