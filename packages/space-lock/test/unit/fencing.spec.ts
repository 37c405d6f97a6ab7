import { MemoryLockStore, SKIP_LOCK_HELD, SpaceLock, UnexpectedReplyError, type SpaceLockContext } from '../../src';
import { FakeRedis, RecordingLogger, deferred } from '../helpers/fake-redis';

const TTL = 3_000;
const KEY = 'git-sync:lock:space-1';
const FENCE = '{git-sync:lock:space-1}:fence';

let redis: FakeRedis;
let logger: RecordingLogger;

beforeEach(() => {
  redis = new FakeRedis();
  logger = new RecordingLogger();
});

const fencingLock = (client: FakeRedis = redis) => new SpaceLock({ redis: client, ttlMs: TTL, logger, fencing: true });
const tokenOf = (lock: SpaceLock, spaceId = 'space-1') => lock.withSpaceLock(spaceId, (ctx) => ctx.fencingToken);

describe('fencing off (the default)', () => {
  it('keeps the wire as it was: one plain SET, and no token', async () => {
    const lock = new SpaceLock({ redis, ttlMs: TTL, logger });
    let ctx: SpaceLockContext | undefined;
    await lock.withSpaceLock('space-1', (c) => void (ctx = c));
    expect(lock.fencing).toBe(false);
    expect(ctx?.fencingToken).toBeUndefined();
    expect(redis.calls[0]).toEqual({ command: 'set', args: [KEY, lock.instanceId, 'PX', TTL, 'NX'] });
    expect(redis.calls.map((c) => c.script ?? c.command)).toEqual(['set', 'release', 'release']);
    expect(redis.get(FENCE)).toBeUndefined();
  });
});

describe('fencing on', () => {
  it('acquires with one script of 2 keys, the lock key and {key}:fence, ARGV instanceId and String(ttl), by EVALSHA then EVAL', async () => {
    const lock = fencingLock();
    await expect(tokenOf(lock)).resolves.toBe(1);
    await expect(tokenOf(lock)).resolves.toBe(2);
    const acquires = redis.calls.filter((c) => c.script === 'acquire-fenced');
    expect(acquires.map((c) => c.command)).toEqual(['evalsha', 'eval', 'evalsha']);
    for (const call of acquires) expect(call.args.slice(1)).toEqual([2, KEY, FENCE, lock.instanceId, String(TTL)]);
    expect(redis.callsOf('set')).toHaveLength(0);
    // Release and refresh are the same scripts as without fencing.
    expect(redis.callsOf('release')).toHaveLength(2);
  });

  it('the script runs exactly SET NX PX, then INCR of the fence only if the SET took the key', async () => {
    const lock = fencingLock();
    await tokenOf(lock);
    const source = redis.calls.find((c) => c.script === 'acquire-fenced' && c.command === 'eval')!.args[0] as string;
    const code = source.replace(/--\[\[[\s\S]*?\]\]/, '').trim();
    expect(code).toBe(
      [
        'if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then',
        '  return redis.call("INCR", KEYS[2])',
        'end',
        'return 0',
      ].join('\n'),
    );
  });

  it('issues strictly increasing tokens per key across instances, and counts each key apart', async () => {
    const a = fencingLock();
    const b = fencingLock();
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await tokenOf(a), await tokenOf(b));
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(tokenOf(b, 'space-2')).resolves.toBe(1);
  });

  it('gets lock-held from a key set by a plain SET holder, and does not touch the counter', async () => {
    redis.put(KEY, 'deployed-replica');
    const fn = jest.fn();
    await expect(fencingLock().withSpaceLock('space-1', fn)).resolves.toBe(SKIP_LOCK_HELD);
    expect(fn).not.toHaveBeenCalled();
    expect(redis.get(KEY)).toBe('deployed-replica');
    expect(redis.get(FENCE)).toBeUndefined();
  });

  it('reads a token given as a numeric string (stringNumbers)', async () => {
    redis.override('acquire-fenced', () => Promise.resolve('42'));
    await expect(tokenOf(fencingLock())).resolves.toBe(42);
  });

  it.each([
    ['a word', 'OK'],
    ['null', null],
    ['a negative integer', -1],
    ['an integer past 2^53', '9007199254740993'],
  ])('rejects an acquire answered with %s, logs the script and the space, and runs nothing', async (_label, reply) => {
    redis.override('acquire-fenced', () => Promise.resolve(reply));
    const lock = fencingLock();
    const fn = jest.fn();
    await expect(lock.withSpaceLock('space-1', fn)).rejects.toBeInstanceOf(UnexpectedReplyError);
    expect(fn).not.toHaveBeenCalled();
    expect(lock.isRunning('space-1')).toBe(false);
    expect(logger.at('warn')).toEqual([expect.stringMatching(/space-1.*acquire-fenced-2\.lua/)]);
  });

  it('works on the in-memory store too, with tokens per key', async () => {
    const store = new MemoryLockStore();
    const a = new SpaceLock({ store, fencing: true, logger });
    const b = new SpaceLock({ store, fencing: true, logger });
    const gate = deferred();
    const held = a.withSpaceLock('s', async (ctx) => {
      await gate.promise;
      return ctx.fencingToken;
    });
    await expect(tokenOf(b, 's')).resolves.toBe(SKIP_LOCK_HELD);
    gate.resolve();
    await expect(held).resolves.toBe(1);
    await expect(tokenOf(b, 's')).resolves.toBe(2);
  });
});
