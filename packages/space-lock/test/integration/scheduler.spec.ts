import { createHook } from 'node:async_hooks';
import { SpaceLock, isSpaceLockSkip } from '../../src';
import { scripts } from '../../src/store/redis-commands';
import { createClient, waitFor } from '../helpers/redis-server';
import { gate, recordingLogger, sharedRedisPerTest, sleep, socketWrites } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(60_000);

const HOLDS = 2_000;
const TTL_MS = 1_500;

/** Counts the Timeout objects alive in the process, whoever made them, and the most seen at once. */
function timerCensus() {
  const live = new Set<number>();
  let peak = 0;
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      live.add(id);
      peak = Math.max(peak, live.size);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { peak: () => peak, stop: () => hook.disable() };
}

describe('one scheduler for every hold', () => {
  const redis = sharedRedisPerTest('scheduler');

  it(`keeps ${HOLDS} concurrent holds alive across 3 TTLs on a handful of timers, with refreshes sent together`, async () => {
    const client = createClient(redis.url);
    await client.ping();
    // Observes how refreshes reach the wire: the commands sent, and the socket writes that carried them.
    let refreshes = 0;
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    client.evalsha = (...args: unknown[]) => {
      if (args[0] === scripts.refresh.sha) refreshes++;
      return evalsha(...args);
    };
    let writes: ReturnType<typeof socketWrites> | undefined;
    const logger = recordingLogger();
    const lock = new SpaceLock({ redis: client, keyPrefix: redis.prefix, ttlMs: TTL_MS, logger });
    const census = timerCensus();
    const done = gate();
    const signals: AbortSignal[] = [];
    let holds: Array<Promise<unknown>> = [];
    try {
      holds = Array.from({ length: HOLDS }, (_, i) =>
        lock.withSpaceLock(`space-${i}`, async ({ signal }) => {
          signals.push(signal);
          await done.promise;
        }),
      );
      // From here on the socket carries only refreshes, until the holds end.
      await waitFor(`${HOLDS} holds to begin`, () => signals.length === HOLDS, 30_000);
      refreshes = 0;
      writes = socketWrites(client);
      // Past 3 TTLs: every key is alive only because its refreshes kept landing.
      await sleep(3 * TTL_MS + 200);
      writes.stop();
      const values = await client.mget(...Array.from({ length: HOLDS }, (_, i) => `${redis.prefix}space-${i}`));
      expect(values.filter((v) => v === lock.instanceId)).toHaveLength(HOLDS);
      expect(signals.filter((s) => s.aborted)).toHaveLength(0);
    } finally {
      done.open();
      const outs = await Promise.all(holds);
      census.stop();
      expect(outs.filter(isSpaceLockSkip)).toHaveLength(0);
    }
    expect(logger.warnings).toEqual([]);
    // The scheduler's one timer, the test's sleep, and whatever ioredis and Jest keep: a handful, not one per hold.
    expect(census.peak()).toBeLessThanOrEqual(5);
    // At least 3 refreshes per hold went out, and they went out together, not a write each.
    expect(refreshes).toBeGreaterThanOrEqual(3 * HOLDS);
    expect(writes.count).toBeLessThan(refreshes / 10);
    console.info(
      `${HOLDS} holds, ${refreshes} refreshes in ${writes.count} socket writes; peak live timers ${census.peak()}`,
    );
  });
});
