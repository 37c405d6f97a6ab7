import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { RedisService } from '@nestjs-labs/nestjs-ioredis';
import { LockLostError } from 'space-lock';
import { SpaceLockService, type SpaceLockModuleOptions } from 'space-lock/nestjs';
import { GitSyncConfigModule, loadConfig, type GitSyncConfig } from '../../../src/config';
import {
  GitSyncLockHeldError,
  GitSyncOrchestrator,
  InMemoryPushWaiters,
  OrchestratorModule,
  PUSH_WAITERS,
  type CycleRunner,
  type CycleStatus,
  type LockScope,
  type RunOnceResult,
  type SpaceDirectory,
} from '../../../src/orchestrator';
import { FakeRedis, deferred } from '../../../../../packages/space-lock/test/helpers/fake-redis';
import { waitFor } from '../../../../../packages/space-lock/test/helpers/wait-for';
import { anyString, stringContaining } from '../../support/matchers';

const KEY_PREFIX = 'test:git-sync:lock:';
const SPACE_A = '0b0c6a4e-5d1f-4c1e-9a52-3f1f7f0d2a01';
const SPACE_B = '6f9d2c3a-8b7e-4a6d-b1c2-0e9f8a7b6c02';

const STATUS: CycleStatus = {
  pull: { written: 1, deleted: 0, conflicts: 0 },
  push: { created: 2, updated: 0, deleted: 0, moved: 0, renamed: 0, failures: 0, deferred: 0, heldBack: 0 },
  commits: 1,
};

/** A cycle runner whose behaviour each test sets, recording every call. */
class ScriptedRunner implements CycleRunner {
  calls: Array<{ spaceId: string; signal: AbortSignal; fencingToken?: number }> = [];
  active = 0;
  maxActive = 0;
  behaviour: (spaceId: string, signal: AbortSignal) => Promise<CycleStatus> = () => Promise.resolve(STATUS);

  async runCycle(spaceId: string, { signal, fencingToken }: LockScope): Promise<CycleStatus> {
    this.calls.push({ spaceId, signal, fencingToken });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      return await this.behaviour(spaceId, signal);
    } finally {
      this.active--;
    }
  }
}

class ScriptedDirectory implements SpaceDirectory {
  enabled = new Set<string>([SPACE_A, SPACE_B]);
  listCalls = 0;
  failure: Error | undefined;

  isGitSyncEnabled(spaceId: string): Promise<boolean> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve(this.enabled.has(spaceId));
  }

  listGitSyncEnabledSpaceIds(): Promise<string[]> {
    this.listCalls++;
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve([...this.enabled]);
  }
}

/**
 * The real `SpaceLockService`, on the fake client handed out by a
 * `RedisService` stand-in, as `RedisModule` would hand out a real one.
 */
@Module({})
class FakeRedisLockModule {
  static with(redis: FakeRedis, options: SpaceLockModuleOptions): DynamicModule {
    return {
      module: FakeRedisLockModule,
      global: true,
      providers: [
        { provide: RedisService, useValue: { getOrThrow: () => redis } },
        {
          provide: SpaceLockService,
          inject: [RedisService],
          useFactory: (redisService: RedisService) => new SpaceLockService(redisService, options),
        },
      ],
      exports: [SpaceLockService],
    };
  }
}

interface Harness {
  moduleRef: TestingModule;
  orchestrator: GitSyncOrchestrator;
  locks: SpaceLockService;
  redis: FakeRedis;
  runner: ScriptedRunner;
  directory: ScriptedDirectory;
  waiters: InMemoryPushWaiters;
}

const open: TestingModule[] = [];

async function harness(env: Record<string, string> = {}, lockTtlMs = 5_000, fencing = false): Promise<Harness> {
  const config: GitSyncConfig = loadConfig({
    GIT_SYNC_POLL_INTERVAL_MS: '0',
    GIT_SYNC_DEBOUNCE_MS: '50',
    GIT_SYNC_PUSH_LOCK_WAIT_MS: '150',
    ...env,
  });
  const redis = new FakeRedis();
  const runner = new ScriptedRunner();
  const directory = new ScriptedDirectory();
  const configModule = GitSyncConfigModule.forRoot({ config });
  const moduleRef = await Test.createTestingModule({
    imports: [
      FakeRedisLockModule.with(redis, { keyPrefix: KEY_PREFIX, ttlMs: lockTtlMs, shutdownGraceMs: 1_000, fencing }),
      configModule,
      OrchestratorModule.forRoot({
        imports: [configModule],
        cycleRunner: { useValue: runner },
        spaceDirectory: { useValue: directory },
      }),
    ],
  }).compile();
  moduleRef.useLogger(false);
  open.push(moduleRef);
  await moduleRef.init();
  return {
    moduleRef,
    orchestrator: moduleRef.get(GitSyncOrchestrator),
    locks: moduleRef.get(SpaceLockService),
    redis,
    runner,
    directory,
    waiters: moduleRef.get(PUSH_WAITERS),
  };
}

/** Starts a `runOnce` of space A whose cycle runs until `gate` resolves; later cycles finish at once. */
async function cycleRunning(
  h: Harness,
): Promise<{ gate: ReturnType<typeof deferred<void>>; cycle: Promise<RunOnceResult> }> {
  const gate = deferred<void>();
  const calls = h.runner.calls.length;
  h.runner.behaviour = async () => {
    h.runner.behaviour = () => Promise.resolve(STATUS);
    await gate.promise;
    return STATUS;
  };
  const cycle = h.orchestrator.runOnce(SPACE_A);
  await waitFor('the cycle to start', () => h.runner.calls.length === calls + 1);
  return { gate, cycle };
}

afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('GitSyncOrchestrator.runOnce', () => {
  it('runs the cycle under the lock held on the fake Redis, and releases it', async () => {
    const h = await harness();
    let holder: string | undefined;
    h.runner.behaviour = () => {
      holder = h.redis.get(KEY_PREFIX + SPACE_A);
      return Promise.resolve(STATUS);
    };
    const result = await h.orchestrator.runOnce(SPACE_A);
    expect(result).toEqual({ spaceId: SPACE_A, ran: true, pull: STATUS.pull, push: STATUS.push });
    expect(holder).toBe(h.locks.instanceId);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
    expect(h.runner.calls[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it("hands each cycle its hold's fencing token when the lock fences, and none when it does not", async () => {
    const fenced = await harness({}, 5_000, true);
    await fenced.orchestrator.runOnce(SPACE_A);
    await fenced.orchestrator.runOnce(SPACE_A);
    await fenced.orchestrator.ingestExternalPush(SPACE_A, () => Promise.resolve('pushed'));
    await fenced.orchestrator.provision(SPACE_B);
    expect(fenced.runner.calls.map((c) => [c.spaceId, c.fencingToken])).toEqual([
      [SPACE_A, 1],
      [SPACE_A, 2],
      [SPACE_A, 3],
      [SPACE_B, 1],
    ]);
    const plain = await harness();
    await plain.orchestrator.runOnce(SPACE_A);
    expect(plain.runner.calls.map((c) => c.fencingToken)).toEqual([undefined]);
  });

  it('maps a key held by another holder to skipped "lock-held" without retrying', async () => {
    const h = await harness();
    await h.redis.set(KEY_PREFIX + SPACE_A, 'another-replica', 'PX', 60_000, 'NX');
    const result = await h.orchestrator.runOnce(SPACE_A);
    expect(result).toEqual({ spaceId: SPACE_A, ran: false, skipped: 'lock-held' });
    expect(h.runner.calls).toHaveLength(0);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBe('another-replica');
  });

  it('maps a cycle already running in this process to skipped "in-progress"', async () => {
    const h = await harness();
    const { gate, cycle: first } = await cycleRunning(h);
    const second = await h.orchestrator.runOnce(SPACE_A);
    expect(second).toEqual({ spaceId: SPACE_A, ran: false, skipped: 'in-progress' });
    gate.resolve();
    await expect(first).resolves.toMatchObject({ ran: true });
    expect(h.runner.calls).toHaveLength(1);
  });

  it('skips "disabled" when git-sync is switched off globally, consulting nothing', async () => {
    const h = await harness({ GIT_SYNC_ENABLED: 'false' });
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: false,
      skipped: 'disabled',
    });
    expect(h.runner.calls).toHaveLength(0);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
  });

  it('skips "space-not-enabled" for a space that has not opted in', async () => {
    const h = await harness();
    h.directory.enabled.delete(SPACE_A);
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: false,
      skipped: 'space-not-enabled',
    });
    expect(h.runner.calls).toHaveLength(0);
  });

  it('never throws: a failing cycle is returned as an error, and the lock is released', async () => {
    const h = await harness();
    h.runner.behaviour = () => Promise.reject(new Error('vault is corrupt'));
    const result = await h.orchestrator.runOnce(SPACE_A);
    expect(result).toEqual({ spaceId: SPACE_A, ran: true, error: 'Error: vault is corrupt' });
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
    expect(h.orchestrator.getStatus().spaces).toEqual([{ trigger: 'manual', at: anyString(), result }]);
  });

  it('never throws: a failing directory or an unreachable Redis is returned as an error', async () => {
    const h = await harness();
    h.directory.failure = new Error('database is down');
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: false,
      error: 'Error: database is down',
    });
    h.directory.failure = undefined;
    h.redis.failure = new Error('ECONNREFUSED');
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: false,
      error: 'Error: ECONNREFUSED',
    });
    expect(h.runner.calls).toHaveLength(0);
  });

  it('reports the configuration and the last result of each space', async () => {
    const h = await harness();
    await h.orchestrator.runOnce(SPACE_A);
    h.directory.enabled.delete(SPACE_B);
    await h.orchestrator.runOnce(SPACE_B);
    await h.orchestrator.runOnce(SPACE_A);
    const status = h.orchestrator.getStatus();
    expect(status.config).toEqual({
      enabled: true,
      pollIntervalMs: 0,
      debounceMs: 50,
      backendTimeoutMs: 60_000,
      pushLockWaitMs: 150,
    });
    expect(status.spaces.map((s) => [s.result.spaceId, s.result.ran, s.result.skipped])).toEqual([
      [SPACE_A, true, undefined],
      [SPACE_B, false, 'space-not-enabled'],
    ]);
  });
});

describe('a waiting push goes first', () => {
  it('a cycle yields while a push waits for the space: skipped "yielded", recorded, and the lock never tried', async () => {
    const h = await harness();
    await h.waiters.announce(SPACE_A, 'a-push-elsewhere', 60_000);
    const result = await h.orchestrator.runOnce(SPACE_A);
    expect(result).toEqual({ spaceId: SPACE_A, ran: false, skipped: 'yielded' });
    expect(h.runner.calls).toHaveLength(0);
    expect(h.redis.callsOf('set')).toHaveLength(0);
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'manual', result: { skipped: 'yielded' } });
    // Other spaces are not held back.
    await expect(h.orchestrator.runOnce(SPACE_B)).resolves.toMatchObject({ ran: true });
    await h.waiters.withdraw(SPACE_A, 'a-push-elsewhere');
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toMatchObject({ ran: true });
  });

  it('a push that finds the space busy marks itself waiting until it gets the lock, then withdraws the marker', async () => {
    const h = await harness({ GIT_SYNC_PUSH_LOCK_WAIT_MS: '30000' });
    const { gate, cycle } = await cycleRunning(h);
    const receivePack = jest.fn(() => Promise.resolve('pushed'));
    const push = h.orchestrator.ingestExternalPush(SPACE_A, receivePack);
    let waiting = false;
    await waitFor('the push to mark itself waiting', () => {
      void h.waiters.isWaiting(SPACE_A).then((w) => (waiting = w));
      return waiting;
    });
    // A poll or debounce arriving now steps aside instead of competing with the push.
    await expect(h.orchestrator.runOnce(SPACE_A)).resolves.toMatchObject({ ran: false, skipped: 'yielded' });
    expect(receivePack).not.toHaveBeenCalled();
    gate.resolve();
    await cycle;
    await expect(push).resolves.toBe('pushed');
    await expect(h.waiters.isWaiting(SPACE_A)).resolves.toBe(false);
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'push', result: { ran: true } });
  });

  it('a push that gives up withdraws its marker too', async () => {
    const h = await harness({ GIT_SYNC_PUSH_LOCK_WAIT_MS: '100' });
    await h.redis.set(KEY_PREFIX + SPACE_A, 'another-replica', 'PX', 60_000, 'NX');
    await expect(h.orchestrator.ingestExternalPush(SPACE_A, () => Promise.resolve('pushed'))).rejects.toBeInstanceOf(
      GitSyncLockHeldError,
    );
    await expect(h.waiters.isWaiting(SPACE_A)).resolves.toBe(false);
  });

  it("an earlier waiter finishing leaves a later waiter's marker in place", async () => {
    const waiters = new InMemoryPushWaiters();
    await waiters.announce(SPACE_A, 'first', 60_000);
    await waiters.announce(SPACE_A, 'second', 60_000);
    await waiters.withdraw(SPACE_A, 'first');
    await expect(waiters.isWaiting(SPACE_A)).resolves.toBe(true);
    await waiters.withdraw(SPACE_A, 'second');
    await expect(waiters.isWaiting(SPACE_A)).resolves.toBe(false);
  });

  it('a marker lapses on its own, so a waiter that died holds nothing back for long', async () => {
    let now = 1_000;
    const waiters = new InMemoryPushWaiters(() => now);
    await waiters.announce(SPACE_A, 'gone', 500);
    now += 499;
    await expect(waiters.isWaiting(SPACE_A)).resolves.toBe(true);
    now += 1;
    await expect(waiters.isWaiting(SPACE_A)).resolves.toBe(false);
  });

  it('a debounced cycle that yielded is scheduled again, and runs once the push is done', async () => {
    const h = await harness();
    await h.waiters.announce(SPACE_A, 'a-push-elsewhere', 60_000);
    h.orchestrator.schedule(SPACE_A);
    await waitFor('the debounced cycle to yield', () =>
      h.orchestrator.getStatus().spaces.some((s) => s.trigger === 'debounce' && s.result.skipped === 'yielded'),
    );
    expect(h.runner.calls).toHaveLength(0);
    await h.waiters.withdraw(SPACE_A, 'a-push-elsewhere');
    await waitFor('the cycle to run', () => h.runner.calls.length === 1);
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'debounce', result: { ran: true } });
  });
});

describe('GitSyncOrchestrator.provision', () => {
  it('runs the first cycle of a new space under its lock and records it as "create"', async () => {
    const h = await harness();
    let holder: string | undefined;
    h.runner.behaviour = (spaceId) => {
      holder = h.redis.get(KEY_PREFIX + spaceId);
      return Promise.resolve(STATUS);
    };
    await expect(h.orchestrator.provision(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: true,
      pull: STATUS.pull,
      push: STATUS.push,
    });
    expect(holder).toBe(h.locks.instanceId);
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'create', result: { ran: true } });
  });

  it('never throws: a space that stays busy is left to its first read', async () => {
    const h = await harness();
    await h.redis.set(KEY_PREFIX + SPACE_A, 'another-replica', 'PX', 60_000, 'NX');
    await expect(h.orchestrator.provision(SPACE_A)).resolves.toMatchObject({
      spaceId: SPACE_A,
      ran: false,
      error: stringContaining('busy'),
    });
    expect(h.runner.calls).toHaveLength(0);
  });

  it('runs nothing while git-sync is switched off globally', async () => {
    const h = await harness({ GIT_SYNC_ENABLED: 'false' });
    await expect(h.orchestrator.provision(SPACE_A)).resolves.toEqual({
      spaceId: SPACE_A,
      ran: false,
      skipped: 'disabled',
    });
    expect(h.runner.calls).toHaveLength(0);
  });
});

describe('GitSyncOrchestrator.ingestExternalPush', () => {
  it('runs receive-pack and then the cycle, both while holding the lock, and returns the receive-pack result', async () => {
    const h = await harness();
    const steps: string[] = [];
    h.runner.behaviour = (spaceId) => {
      steps.push(`cycle holder=${h.redis.get(KEY_PREFIX + spaceId) === h.locks.instanceId}`);
      return Promise.resolve(STATUS);
    };
    const out = await h.orchestrator.ingestExternalPush(SPACE_A, (signal) => {
      expect(signal).toBeInstanceOf(AbortSignal);
      steps.push(`receive-pack holder=${h.redis.get(KEY_PREFIX + SPACE_A) === h.locks.instanceId}`);
      return Promise.resolve('pushed');
    });
    expect(out).toBe('pushed');
    expect(steps).toEqual(['receive-pack holder=true', 'cycle holder=true']);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'push', result: { ran: true } });
  });

  it('hands the cycle result to onCycle while the lock is still held, so the push can report it', async () => {
    const h = await harness();
    h.runner.behaviour = () => Promise.resolve(STATUS);
    const seen: Array<{ holder: boolean; pushed: number | undefined }> = [];
    await h.orchestrator.ingestExternalPush(
      SPACE_A,
      () => Promise.resolve('pushed'),
      (result) => {
        seen.push({ holder: h.redis.get(KEY_PREFIX + SPACE_A) === h.locks.instanceId, pushed: result.push?.created });
      },
    );
    expect(seen).toEqual([{ holder: true, pushed: STATUS.push.created }]);
  });

  it('throws GitSyncLockHeldError when another holder keeps the lock, and never runs receive-pack', async () => {
    const h = await harness();
    await h.redis.set(KEY_PREFIX + SPACE_A, 'another-replica', 'PX', 60_000, 'NX');
    const receivePack = jest.fn(() => Promise.resolve('pushed'));
    const err = await h.orchestrator.ingestExternalPush(SPACE_A, receivePack).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitSyncLockHeldError);
    expect(err).toMatchObject({ name: 'GitSyncLockHeldError', spaceId: SPACE_A, reason: 'lock-held' });
    expect(receivePack).not.toHaveBeenCalled();
    expect(h.runner.calls).toHaveLength(0);
  });

  it('throws GitSyncLockHeldError with reason "in-progress" while this replica runs a cycle', async () => {
    const h = await harness();
    const { gate, cycle } = await cycleRunning(h);
    const receivePack = jest.fn(() => Promise.resolve('pushed'));
    await expect(h.orchestrator.ingestExternalPush(SPACE_A, receivePack)).rejects.toMatchObject({
      name: 'GitSyncLockHeldError',
      reason: 'in-progress',
    });
    expect(receivePack).not.toHaveBeenCalled();
    gate.resolve();
    await cycle;
  });

  it('waits for a busy space within its bounded retry instead of refusing at once', async () => {
    const h = await harness({ GIT_SYNC_PUSH_LOCK_WAIT_MS: '5000' });
    await h.redis.set(KEY_PREFIX + SPACE_A, 'another-replica', 'PX', 60_000, 'NX');
    const receivePack = jest.fn(() => Promise.resolve('pushed'));
    const push = h.orchestrator.ingestExternalPush(SPACE_A, receivePack);
    // The other holder releases once the push has started waiting for it.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(receivePack).not.toHaveBeenCalled();
    h.redis.del(KEY_PREFIX + SPACE_A);
    await expect(push).resolves.toBe('pushed');
    expect(h.runner.calls).toHaveLength(1);
  });

  it('does not rethrow a cycle failure after a successful receive-pack', async () => {
    const h = await harness();
    h.runner.behaviour = () => Promise.reject(new Error('page store unavailable'));
    await expect(h.orchestrator.ingestExternalPush(SPACE_A, () => Promise.resolve({ exitCode: 0 }))).resolves.toEqual({
      exitCode: 0,
    });
    expect(h.runner.calls).toHaveLength(1);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({
      trigger: 'push',
      result: { spaceId: SPACE_A, ran: true, error: 'Error: page store unavailable' },
    });
  });

  it('rethrows a receive-pack failure, runs no cycle, and releases the lock', async () => {
    const h = await harness();
    await expect(
      h.orchestrator.ingestExternalPush(SPACE_A, () => Promise.reject(new Error('spawn git ENOENT'))),
    ).rejects.toThrow('spawn git ENOENT');
    expect(h.runner.calls).toHaveLength(0);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBeUndefined();
  });

  it('aborts the receive-pack signal when the lock is lost, and then skips the cycle', async () => {
    const h = await harness({}, 90);
    const reason = await h.orchestrator.ingestExternalPush(SPACE_A, async (signal) => {
      // Another replica takes the key over, as after our lease ran out.
      h.redis.put(KEY_PREFIX + SPACE_A, 'another-replica', 60_000);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return signal.reason as unknown;
    });
    expect(reason).toBeInstanceOf(LockLostError);
    expect(h.runner.calls).toHaveLength(0);
    expect(h.redis.get(KEY_PREFIX + SPACE_A)).toBe('another-replica');
  });
});

describe('GitSyncOrchestrator poll loop', () => {
  it('never starts a tick while the previous one is still running, however slow the cycle', async () => {
    const h = await harness({ GIT_SYNC_POLL_INTERVAL_MS: '5' });
    let listedDuringCycle = false;
    const originalList = h.directory.listGitSyncEnabledSpaceIds.bind(h.directory);
    h.directory.listGitSyncEnabledSpaceIds = async () => {
      if (h.runner.active > 0) listedDuringCycle = true;
      return originalList();
    };
    // Each cycle spans many poll intervals.
    h.runner.behaviour = async () => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return STATUS;
    };
    await waitFor('six cycles', () => h.runner.calls.length >= 6);
    await h.moduleRef.close();
    expect(listedDuringCycle).toBe(false);
    expect(h.runner.maxActive).toBe(1);
    const skipped = h.orchestrator.getStatus().spaces.filter((s) => s.result.skipped !== undefined);
    expect(skipped).toEqual([]);
    // Opted-in spaces only, taken in turn.
    expect(new Set(h.runner.calls.map((c) => c.spaceId))).toEqual(new Set([SPACE_A, SPACE_B]));
  });

  it('keeps polling after the directory fails, and stops on module destroy', async () => {
    const h = await harness({ GIT_SYNC_POLL_INTERVAL_MS: '5' });
    h.directory.failure = new Error('database is down');
    await waitFor('two listings', () => h.directory.listCalls >= 2);
    h.directory.failure = undefined;
    await waitFor('a cycle', () => h.runner.calls.length >= 1);
    await h.moduleRef.close();
    const calls = h.directory.listCalls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.directory.listCalls).toBe(calls);
  });

  it('does not poll when git-sync is disabled globally', async () => {
    const h = await harness({ GIT_SYNC_POLL_INTERVAL_MS: '5', GIT_SYNC_ENABLED: 'false' });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(h.directory.listCalls).toBe(0);
    expect(h.runner.calls).toHaveLength(0);
  });
});

describe('GitSyncOrchestrator.schedule (debounce)', () => {
  it('runs once, debounceMs after the last of several calls; each call restarts the wait', async () => {
    const h = await harness({ GIT_SYNC_DEBOUNCE_MS: '100' });
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    h.orchestrator.schedule(SPACE_A);
    await jest.advanceTimersByTimeAsync(80);
    h.orchestrator.schedule(SPACE_A);
    await jest.advanceTimersByTimeAsync(80);
    h.orchestrator.schedule(SPACE_A);
    await jest.advanceTimersByTimeAsync(99);
    expect(h.runner.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    jest.useRealTimers();
    await waitFor('the cycle to be recorded', () => h.orchestrator.getStatus().spaces.length === 1);
    expect(h.runner.calls.map((c) => c.spaceId)).toEqual([SPACE_A]);
    expect(h.orchestrator.getStatus().spaces[0]).toMatchObject({ trigger: 'debounce', result: { ran: true } });
  });

  it('keeps one timer per space', async () => {
    const h = await harness({ GIT_SYNC_DEBOUNCE_MS: '100' });
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    h.orchestrator.schedule(SPACE_A);
    h.orchestrator.schedule(SPACE_B);
    h.orchestrator.schedule(SPACE_A);
    await jest.advanceTimersByTimeAsync(100);
    jest.useRealTimers();
    await waitFor('both cycles to be recorded', () => h.orchestrator.getStatus().spaces.length === 2);
    expect(h.runner.calls.map((c) => c.spaceId).sort()).toEqual([SPACE_A, SPACE_B].sort());
  });

  it('drops pending runs on module destroy', async () => {
    const h = await harness({ GIT_SYNC_DEBOUNCE_MS: '20' });
    h.orchestrator.schedule(SPACE_A);
    await h.moduleRef.close();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(h.runner.calls).toHaveLength(0);
  });
});
