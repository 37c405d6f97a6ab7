import { SpaceLock } from '../../src';
import { FakeRedis, RecordingLogger } from '../helpers/fake-redis';

let redis: FakeRedis;
let lock: SpaceLock;

beforeEach(() => {
  redis = new FakeRedis();
  lock = new SpaceLock({ redis, logger: new RecordingLogger() });
});

async function rejection(promise: Promise<unknown>): Promise<TypeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TypeError);
  return err as TypeError;
}

describe('spaceId', () => {
  it.each([
    ['empty', '', /`''` \(string\)/],
    ['a space', 'a b', /`'a b'`/],
    ['leading whitespace', ' a', /`' a'`/],
    ['a tab', 'a\tb', /\\t/],
    ['a newline', 'a\nb', /\\n/],
    ['a NUL', 'a\u0000b', /\\x00/],
    ['DEL', 'a\u007fb', /\\x7F|\u007f/],
    ['a non-breaking space', 'a\u00a0b', /a.b/],
    ['an opening brace', 'a{b', /`'a\{b'`/],
    ['a closing brace', 'a}b', /`'a\}b'`/],
    ['a hash tag', '{tag}space', /\{tag\}/],
    ['513 characters', 'x'.repeat(513), /\(string\)/],
    ['a number', 42, /`42` \(number\)/],
    ['null', null, /`null` \(null\)/],
    ['undefined', undefined, /`undefined` \(undefined\)/],
    ['an object', { id: 'a' }, /\(object\)/],
  ])('rejects %s, naming the argument and the value, and sends nothing', async (_label, spaceId, shown) => {
    const fn = jest.fn();
    const err = await rejection(lock.withSpaceLock(spaceId as string, fn));
    expect(err.message).toMatch(/^Expected `spaceId` to be a non-empty string of at most 512 characters/);
    expect(err.message).toMatch(shown);
    expect(fn).not.toHaveBeenCalled();
    expect(redis.calls).toHaveLength(0);
  });

  it.each([['x'.repeat(512)], ['a'], ['0b6c7d3e-5f1a-4c2b-9d8e-7f6a5b4c3d2e'], ['space:with/punctuation-ü']])(
    'accepts %s',
    async (spaceId) => {
      await expect(lock.withSpaceLock(spaceId, () => 'ok')).resolves.toBe('ok');
    },
  );
});

describe('fn', () => {
  it.each([[undefined], ['run'], [{}], [null]])('rejects %p', async (fn) => {
    const err = await rejection(lock.withSpaceLock('s', fn as never));
    expect(err.message).toMatch(/^Expected `fn` to be a function, got `/);
    expect(redis.calls).toHaveLength(0);
  });
});

describe('constructor options', () => {
  it.each([
    ['ttlMs', 2, /`ttlMs` to be an integer >= 3, got `2` \(number\)/],
    ['ttlMs', 3.5, /`ttlMs` to be an integer >= 3, got `3.5`/],
    ['ttlMs', '30000', /`ttlMs` to be an integer >= 3, got `'30000'` \(string\)/],
    ['ttlMs', Number.NaN, /`ttlMs`.*`NaN`/],
    ['ttlMs', -1, /`ttlMs`.*`-1`/],
    ['keyPrefix', 5, /`keyPrefix` to be a string, got `5` \(number\)/],
    ['keyPrefix', null, /`keyPrefix` to be a string, got `null`/],
    ['redis', {}, /`redis` to be an ioredis client/],
    ['logger', { warn() {} }, /`logger` to be an object with log, warn and error/],
  ])('rejects %s = %p', (name, value, message) => {
    expect(() => new SpaceLock({ redis, [name]: value })).toThrow(TypeError);
    expect(() => new SpaceLock({ redis, [name]: value })).toThrow(message);
  });

  it.each([
    ['a string', 'true', /`fencing` to be a boolean, got `'true'` \(string\)/],
    ['a number', 1, /`fencing` to be a boolean, got `1` \(number\)/],
    ['null', null, /`fencing` to be a boolean, got `null`/],
  ])('rejects fencing = %s', (_label, fencing, message) => {
    expect(() => new SpaceLock({ redis, fencing } as never)).toThrow(TypeError);
    expect(() => new SpaceLock({ redis, fencing } as never)).toThrow(message);
  });

  it.each(['git-sync:{lock}:', 'a{', 'b}'])(
    'rejects keyPrefix %p when fencing is on, and accepts it when off',
    (keyPrefix) => {
      expect(() => new SpaceLock({ redis, keyPrefix, fencing: true })).toThrow(TypeError);
      expect(() => new SpaceLock({ redis, keyPrefix, fencing: true })).toThrow(
        /`keyPrefix` to be a string without `\{` or `\}` when `fencing` is on/,
      );
      expect(new SpaceLock({ redis, keyPrefix }).keyPrefix).toBe(keyPrefix);
      expect(redis.calls).toHaveLength(0);
    },
  );

  it('rejects a wakeOnRelease that is not a boolean, and a client that cannot make a subscriber for it', () => {
    expect(() => new SpaceLock({ redis, wakeOnRelease: 'yes' } as never)).toThrow(
      /`wakeOnRelease` to be a boolean, got `'yes'` \(string\)/,
    );
    expect(() => new SpaceLock({ redis, wakeOnRelease: true })).toThrow(
      /`redis` to be an ioredis client with duplicate\(\) when `wakeOnRelease` is on/,
    );
    // Left to its default, it is simply off on such a client.
    expect(() => new SpaceLock({ redis })).not.toThrow();
    expect(redis.calls).toHaveLength(0);
  });

  it('rejects fencing on a store that cannot issue tokens', () => {
    const yes = () => Promise.resolve(true);
    const store = { acquire: yes, release: yes, refresh: yes };
    expect(() => new SpaceLock({ store, fencing: true })).toThrow(
      /`store` to be a LockStore with acquireFenced when `fencing` is on/,
    );
  });

  it('accepts the smallest TTL', () => {
    expect(new SpaceLock({ redis, ttlMs: 3 }).ttlMs).toBe(3);
  });

  it('rejects both redis and store', () => {
    expect(() => new SpaceLock({ redis, store: { acquire() {}, release() {}, refresh() {} } as never })).toThrow(
      /only one of `redis` and `store`/,
    );
  });
});

describe('call options', () => {
  it.each([
    [{ acquireRetry: { totalMs: -1 } }, /`options.acquireRetry.totalMs` to be an integer >= 0/],
    [{ acquireRetry: { totalMs: 100, baseMs: 0 } }, /`options.acquireRetry.baseMs` to be an integer >= 1/],
    [{ acquireRetry: { totalMs: 100, baseMs: 50, maxMs: 10 } }, /`options.acquireRetry.maxMs` to be an integer >= 50/],
    [{ acquireRetry: 'yes' }, /`options.acquireRetry` to be an object/],
    [{ signal: 'stop' }, /`options.signal` to be an AbortSignal/],
    ['fast', /`options` to be an object/],
  ])('rejects %p before sending anything', async (options, message) => {
    const err = await rejection(lock.withSpaceLock('s', () => 1, options as never));
    expect(err.message).toMatch(message);
    expect(redis.calls).toHaveLength(0);
  });
});
