import type Redis from 'ioredis';
import { LockLostError, SKIP_LOCK_HELD, SpaceLock, isSpaceLockSkip, type SpaceLockContext } from '../../src';
import { scripts } from '../../src/store/redis-commands';
import {
  createClient,
  deleteKeys,
  getRedisUrl,
  startRedisServer,
  uniquePrefix,
  type DisposableRedis,
} from '../helpers/redis-server';
import { abortedWithin, recordingLogger, sleep } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

const TTL_MS = 300;

describe('a hold on a real Redis', () => {
  let url: string;
  let admin: Redis;
  let prefix: string;

  beforeAll(async () => {
    url = await getRedisUrl();
    admin = createClient(url);
  });
  beforeEach(() => {
    prefix = uniquePrefix(expect.getState().currentTestName ?? 'holding');
  });
  afterEach(() => deleteKeys(admin, prefix));

  const replica = (logger = recordingLogger()) =>
    new SpaceLock({ redis: createClient(url), keyPrefix: prefix, ttlMs: TTL_MS, logger });

  it('is kept by the heartbeat across more than 4 TTLs while another replica keeps getting lock-held', async () => {
    const holder = replica();
    const other = replica();
    const otherFn = jest.fn();
    const key = `${prefix}space-1`;
    const holdMs = 5 * TTL_MS;
    let polls = 0;
    let signal: AbortSignal | undefined;

    const held = holder.withSpaceLock('space-1', async (ctx) => {
      signal = ctx.signal;
      const until = Date.now() + holdMs;
      // Poll densely enough that any gap (an expired key) of one refresh interval would be seen.
      for (let i = 0; i < 1_000 && Date.now() < until; i++) {
        expect(await other.withSpaceLock('space-1', otherFn)).toBe(SKIP_LOCK_HELD);
        polls++;
        await sleep(25);
      }
      return { value: await admin.get(key), pttl: await admin.pttl(key) };
    });

    const out = await held;
    if (isSpaceLockSkip(out)) throw new Error(`the holder was skipped: ${out.skipped}`);
    const { value, pttl } = out;
    expect(polls).toBeGreaterThan(10);
    expect(otherFn).not.toHaveBeenCalled();
    expect(value).toBe(holder.instanceId);
    // The key still carries a TTL (it was renewed, not made persistent).
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL_MS);
    expect(signal?.aborted).toBe(false);
    expect(await admin.exists(key)).toBe(0);
  });

  it('is kept alive on a client made with stringNumbers, which hands integer replies over as strings', async () => {
    const logger = recordingLogger();
    const client = createClient(url, { stringNumbers: true });
    // The premise: this client really shows script integers as strings.
    expect(await client.eval('return 1', 0)).toBe('1');
    const holder = new SpaceLock({ redis: client, keyPrefix: prefix, ttlMs: TTL_MS, logger });
    const key = `${prefix}space-1`;
    const out = await holder.withSpaceLock('space-1', async ({ signal }) => {
      const pttls: number[] = [];
      // Past 3 TTLs, so the key lives only because refreshes were read as successes.
      for (let i = 0; i < 4; i++) {
        await sleep(TTL_MS);
        pttls.push(await admin.pttl(key));
      }
      return { aborted: signal.aborted, value: await admin.get(key), pttls };
    });
    expect(out).toEqual({
      aborted: false,
      value: holder.instanceId,
      pttls: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)],
    });
    expect(logger.warnings).toEqual([]);
    expect(await admin.exists(key)).toBe(0);
  });

  it('aborts the signal with LockLostError when the key is deleted under the holder, and fn still completes', async () => {
    const holder = replica();
    const key = `${prefix}space-1`;
    const out = await holder.withSpaceLock('space-1', async ({ signal }) => {
      expect(await admin.del(key)).toBe(1);
      const reason = await abortedWithin(signal, 10 * TTL_MS);
      return { reason, finished: true };
    });
    expect(isSpaceLockSkip(out)).toBe(false);
    const { reason, finished } = out as { reason: unknown; finished: boolean };
    expect(finished).toBe(true);
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason).toMatchObject({ reason: 'not-owner', spaceId: 'space-1', key, instanceId: holder.instanceId });
  });

  it('never deletes a key another holder wrote over it, and tells fn it lost the lock', async () => {
    const holder = replica();
    const key = `${prefix}space-1`;
    let reason: unknown;
    await holder.withSpaceLock('space-1', async ({ signal }) => {
      // Another writer takes the key (as after an expiry and a peer's acquire).
      await admin.set(key, 'someone-else', 'PX', 60_000);
      reason = await abortedWithin(signal, 10 * TTL_MS);
    });
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).reason).toBe('not-owner');
    expect(await admin.get(key)).toBe('someone-else');
  });

  it('does not delete a key another holder wrote, even when fn ends before any heartbeat', async () => {
    const holder = new SpaceLock({
      redis: createClient(url),
      keyPrefix: prefix,
      ttlMs: 60_000,
      logger: recordingLogger(),
    });
    const key = `${prefix}space-1`;
    await holder.withSpaceLock('space-1', async () => {
      await admin.set(key, 'someone-else', 'PX', 60_000);
    });
    expect(await admin.get(key)).toBe('someone-else');
  });
});

/** EVALSHA calls that returned an error (NOSCRIPT among them), from INFO commandstats. */
async function failedEvalshas(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(/cmdstat_evalsha:[^\r\n]*failed_calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('a hold while the server forgets its scripts (SCRIPT FLUSH)', () => {
  // SCRIPT FLUSH is server-wide, so it runs on a server of this file's own.
  let server: DisposableRedis;
  let admin: Redis;
  const prefix = uniquePrefix('script-flush');

  beforeAll(async () => {
    server = await startRedisServer();
    admin = createClient(server.url);
  });

  it('keeps refreshing past several TTLs after the flush, and still releases', async () => {
    const logger = recordingLogger();
    const holder = new SpaceLock({ redis: createClient(server.url), keyPrefix: prefix, ttlMs: TTL_MS, logger });
    const key = `${prefix}space-1`;
    const seen: Array<string | null> = [];
    let signal: AbortSignal | undefined;

    await holder.withSpaceLock('space-1', async (ctx: SpaceLockContext) => {
      signal = ctx.signal;
      // Let the scripts get cached first, so the flush really takes them away.
      await sleep(2 * TTL_MS);
      expect(await admin.script('EXISTS', scripts.refresh.sha)).toEqual([1]);
      // The next heartbeat may reload the script at any moment after the flush, so
      // the proof that it met NOSCRIPT is the server's own count of failed EVALSHAs.
      const failedBefore = await failedEvalshas(admin);
      await admin.script('FLUSH');
      for (let i = 0; i < 4; i++) {
        await sleep(TTL_MS);
        seen.push(await admin.get(key));
      }
      expect(await failedEvalshas(admin)).toBeGreaterThan(failedBefore);
      // And once more right before the release, so the release itself meets NOSCRIPT.
      await admin.script('FLUSH');
    });

    expect(seen).toEqual(Array(4).fill(holder.instanceId));
    expect(signal?.aborted).toBe(false);
    expect(await admin.exists(key)).toBe(0);
    expect(logger.warnings).toEqual([]);
  });

  afterAll(async () => {
    await deleteKeys(admin, prefix);
  });
});
