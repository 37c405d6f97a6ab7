import type Redis from 'ioredis';
import type { SpaceLockLogger } from '../../src';
import { createClient, deleteKeys, getRedisUrl, uniquePrefix } from '../helpers/redis-server';

export interface RecordingLogger extends SpaceLockLogger {
  readonly warnings: string[];
  readonly errors: string[];
}

/** Keeps what the lock logs, so tests can assert on absorbed failures and keep the output quiet. */
export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    log: () => undefined,
    warn: (message) => void warnings.push(message),
    error: (message) => void errors.push(message),
  };
}

/** A promise plus the function that settles it: lets a test decide when a critical section ends. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the signal's reason once it aborts; rejects after `timeoutMs` so no test can hang on it. */
export function abortedWithin(signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`signal did not abort within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface SharedRedisPerTest {
  /** The shared Redis (see getRedisUrl); set in beforeAll. */
  readonly url: string;
  /** A client for looking at and tampering with keys, as a third party would. */
  readonly admin: Redis;
  /** A key prefix of the running test's own; its keys are deleted after it. */
  readonly prefix: string;
}

/** Registers the hooks of a suite that runs on the shared Redis with a key prefix per test. */
export function sharedRedisPerTest(suiteName: string): SharedRedisPerTest {
  const state = { url: '', admin: undefined as unknown as Redis, prefix: '' };
  beforeAll(async () => {
    state.url = await getRedisUrl();
    state.admin = createClient(state.url);
  });
  beforeEach(() => {
    state.prefix = uniquePrefix(expect.getState().currentTestName ?? suiteName);
  });
  afterEach(() => deleteKeys(state.admin, state.prefix));
  return state;
}

/**
 * Counts the writes that reach a connected client's socket: one per `_write`
 * or `_writev`, which is one system call each, however many commands a
 * corked socket gathered into it.
 */
export function socketWrites(client: Redis): { readonly count: number; stop(): void } {
  type Write = (...args: unknown[]) => unknown;
  const socket = client.stream as unknown as Record<'_write' | '_writev', Write | undefined>;
  if (socket === undefined) throw new Error('socketWrites: the client is not connected');
  const state = { count: 0, counting: true };
  for (const name of ['_write', '_writev'] as const) {
    const original = socket[name];
    if (original === undefined) continue;
    socket[name] = function (this: unknown, ...args: unknown[]) {
      if (state.counting) state.count++;
      return original.apply(this, args);
    };
  }
  return {
    get count() {
      return state.count;
    },
    stop: () => void (state.counting = false),
  };
}
