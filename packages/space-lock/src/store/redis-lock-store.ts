import type { LockStore } from './lock-store';
import { isNoScript } from './lua-script';
import { acquireFencedLock, acquireLock, refreshLock, refreshed, releaseLock, scripts } from './redis-commands';
import { batchesRefreshes, type RedisLockClient } from './redis-lock-client';

interface QueuedRefresh {
  key: string;
  value: string;
  ttlMs: number;
  resolve: (stillOwned: boolean) => void;
  reject: (err: unknown) => void;
}

/** The wire-compatible store: every replica that shares the Redis shares the locks. */
export class RedisLockStore implements LockStore {
  readonly #batches: boolean;
  /** Refreshes asked for in the current tick; flushed as one pipeline in a microtask. */
  #queued: QueuedRefresh[] = [];
  readonly #flush = () => this.#sendQueued();

  constructor(private readonly client: RedisLockClient) {
    this.#batches = batchesRefreshes(client);
  }

  acquire(key: string, value: string, ttlMs: number): Promise<boolean> {
    return acquireLock(this.client, key, value, ttlMs);
  }

  acquireFenced(key: string, value: string, ttlMs: number): Promise<number | null> {
    return acquireFencedLock(this.client, key, value, ttlMs);
  }

  release(key: string, value: string): Promise<boolean> {
    return releaseLock(this.client, key, value);
  }

  refresh(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (!this.#batches) return refreshLock(this.client, key, value, ttlMs);
    return new Promise((resolve, reject) => {
      if (this.#queued.push({ key, value, ttlMs, resolve, reject }) === 1) queueMicrotask(this.#flush);
    });
  }

  /** The same EVALSHA commands as one at a time, in one pipeline: one write and one read for the lot. */
  #sendQueued(): void {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 1) {
      const [one] = queued;
      refreshLock(this.client, one.key, one.value, one.ttlMs).then(one.resolve, one.reject);
      return;
    }
    const pipeline = this.client.pipeline!();
    for (const q of queued) pipeline.evalsha(scripts.refresh.sha, 1, q.key, q.value, String(q.ttlMs));
    pipeline.exec().then(
      (results) => {
        queued.forEach((q, i) => {
          const [err, reply] = results?.[i] ?? [new Error('the pipeline was discarded'), undefined];
          if (err === null) settle(q, reply);
          // The server lost its scripts (restart, failover, SCRIPT FLUSH): this one goes again, with its EVAL fallback.
          else if (isNoScript(err)) this.client.eval(scripts.refresh.source, 1, q.key, q.value, String(q.ttlMs)).then((r) => settle(q, r), q.reject);
          else q.reject(err);
        });
      },
      (err: unknown) => queued.forEach((q) => q.reject(err)),
    );
  }
}

function settle(q: QueuedRefresh, reply: unknown): void {
  try {
    q.resolve(refreshed(reply));
  } catch (err) {
    q.reject(err);
  }
}
