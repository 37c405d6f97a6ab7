import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { RedisModule, RedisService } from '@nestjs-labs/nestjs-ioredis';
import type Redis from 'ioredis';
import { LockLostError } from '../../src';
import { scripts } from '../../src/store/redis-commands';
import { SpaceLockModule, SpaceLockService } from '../../src/nestjs';
import { createClient, deleteKeys, getRedisUrl, uniquePrefix, waitFor } from '../helpers/redis-server';
import { abortedWithin } from './support';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(30_000);

class RecordingNestLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  log(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
  error(message: unknown): void {
    this.errors.push(String(message));
  }
}

/**
 * The testing module is itself a Nest application context: `init()` and
 * `close()` run the same lifecycle hooks (including beforeApplicationShutdown
 * and onApplicationShutdown) as `createNestApplication`, without needing an
 * HTTP platform package the library does not depend on.
 */
async function boot(
  imports: Parameters<typeof Test.createTestingModule>[0]['imports'],
): Promise<{ app: TestingModule; logger: RecordingNestLogger }> {
  const app = await Test.createTestingModule({ imports }).compile();
  const logger = new RecordingNestLogger();
  app.useLogger(logger);
  await app.init();
  return { app, logger };
}

describe('SpaceLockModule with @nestjs-labs/nestjs-ioredis on a real Redis', () => {
  let url: string;
  let admin: Redis;
  let prefix: string;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    url = await getRedisUrl();
    admin = createClient(url);
  });
  beforeEach(() => {
    prefix = uniquePrefix(expect.getState().currentTestName ?? 'nestjs');
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await deleteKeys(admin, prefix);
  });

  it('boots with forRoot and runs withSpaceLock on the RedisModule client', async () => {
    ({ app } = await boot([
      RedisModule.forRoot({ config: { url }, readyLog: false, errorLog: false }),
      SpaceLockModule.forRoot({ keyPrefix: prefix, ttlMs: 5_000 }),
    ]));
    const service = app.get(SpaceLockService);
    const key = `${prefix}space-1`;

    const out = await service.withSpaceLock('space-1', async ({ spaceId }) => ({
      spaceId,
      holder: await admin.get(key),
      pttl: await admin.pttl(key),
    }));

    expect(out).toEqual({ spaceId: 'space-1', holder: service.instanceId, pttl: expect.any(Number) as number });
    expect((out as { pttl: number }).pttl).toBeGreaterThan(0);
    expect(await admin.exists(key)).toBe(0);
  });

  it('takes an ioredis client directly, with no RedisModule, and leaves it open at shutdown', async () => {
    const client = createClient(url);
    ({ app } = await boot([SpaceLockModule.forRoot({ redis: client, keyPrefix: prefix, ttlMs: 5_000 })]));
    const service = app.get(SpaceLockService);
    const key = `${prefix}space-1`;
    await expect(service.withSpaceLock('space-1', async () => admin.get(key))).resolves.toBe(service.instanceId);
    await app.close();
    app = undefined;
    expect(client.status).toBe('ready');
    await expect(client.ping()).resolves.toBe('PONG');
  });

  it('takes the client from forRootAsync’s factory', async () => {
    const client = createClient(url);
    ({ app } = await boot([
      SpaceLockModule.forRootAsync({ useFactory: () => ({ redis: client, keyPrefix: prefix, ttlMs: 5_000 }) }),
    ]));
    await expect(app.get(SpaceLockService).withSpaceLock('space-1', () => 'ran')).resolves.toBe('ran');
  });

  it('names the three ways to get a client when it has none', async () => {
    await expect(
      Test.createTestingModule({ imports: [SpaceLockModule.forRoot({ keyPrefix: prefix })] }).compile(),
    ).rejects.toThrow(/pass `redis`, or import RedisModule from @nestjs-labs\/nestjs-ioredis, or set `inMemory: true`/);
  });

  it('passes fencing through forRoot: holds carry increasing tokens', async () => {
    ({ app } = await boot([
      RedisModule.forRoot({ config: { url }, readyLog: false, errorLog: false }),
      SpaceLockModule.forRoot({ keyPrefix: prefix, ttlMs: 5_000, fencing: true }),
    ]));
    const service = app.get(SpaceLockService);
    const tokens = [];
    for (let i = 0; i < 2; i++) tokens.push(await service.withSpaceLock('space-1', ({ fencingToken }) => fencingToken));
    expect(tokens).toEqual([1, 2]);
    await deleteKeys(admin, `{${prefix}`);
  });

  it('releases a lock held by a running fn on app.close(), before RedisModule quits its client', async () => {
    let logger: RecordingNestLogger;
    ({ app, logger } = await boot([
      RedisModule.forRoot({ config: { url }, readyLog: false, errorLog: false }),
      SpaceLockModule.forRoot({ keyPrefix: prefix, ttlMs: 5_000, shutdownGraceMs: 100 }),
    ]));
    const service = app.get(SpaceLockService);
    const client = app.get(RedisService).getOrThrow();
    const key = `${prefix}space-1`;

    // Record, in order, the release script and the quit on the shared client.
    const wire: string[] = [];
    const evalsha = client.evalsha.bind(client);
    const quit = client.quit.bind(client);
    jest.spyOn(client, 'evalsha').mockImplementation(((sha: string, ...rest: Array<string | number>) => {
      if (sha === scripts.release.sha || sha === scripts.releaseNotify.sha) wire.push('release');
      return evalsha(sha, ...(rest as [number, ...string[]]));
    }) as typeof client.evalsha);
    jest.spyOn(client, 'quit').mockImplementation((...args: []) => {
      wire.push('quit');
      return quit(...args);
    });

    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const running = service.withSpaceLock('space-1', async ({ signal }) => {
      entered();
      // Outlives the shutdown grace period: shutdown has to release under it.
      return abortedWithin(signal, 10_000);
    });
    await inside;
    expect(await admin.get(key)).toBe(service.instanceId);

    const closing = app.close();
    app = undefined;
    await closing;

    const reason = await running;
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as LockLostError).reason).toBe('closed');
    expect(await admin.exists(key)).toBe(0);
    expect(wire[0]).toBe('release');
    expect(wire.filter((w) => w === 'quit')).toEqual(['quit']);
    expect(wire.indexOf('quit')).toBeGreaterThan(wire.indexOf('release'));
    // QUIT's reply comes before the socket closes, so the status lags behind it.
    await waitFor('RedisModule to close its client', () => client.status === 'end', 2_000);
    expect(logger.errors).toEqual([]);
  });

  it('leaves a client it did not create open when RedisModule is told not to close it', async () => {
    ({ app } = await boot([
      RedisModule.forRoot({ config: { url }, closeClient: false, readyLog: false, errorLog: false }),
      SpaceLockModule.forRoot({ keyPrefix: prefix, ttlMs: 5_000 }),
    ]));
    const client = app.get(RedisService).getOrThrow();
    await app.get(SpaceLockService).withSpaceLock('space-1', () => 'done');
    await app.close();
    app = undefined;
    try {
      expect(client.status).toBe('ready');
      await expect(client.ping()).resolves.toBe('PONG');
    } finally {
      await client.quit();
    }
  });

  it('boots with forRootAsync and a factory', async () => {
    ({ app } = await boot([
      RedisModule.forRootAsync({
        useFactory: () => Promise.resolve({ config: { url }, readyLog: false, errorLog: false }),
      }),
      SpaceLockModule.forRootAsync({
        useFactory: () => Promise.resolve({ keyPrefix: `${prefix}async:`, ttlMs: 4_000 }),
      }),
    ]));
    const service = app.get(SpaceLockService);
    expect(service.lock.keyPrefix).toBe(`${prefix}async:`);
    expect(service.lock.ttlMs).toBe(4_000);
    const holder = await service.withSpaceLock('space-1', () => admin.get(`${prefix}async:space-1`));
    expect(holder).toBe(service.instanceId);
  });
});
