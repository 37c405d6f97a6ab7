import { CommandBatch } from './command-batch';
import type { LockStore } from './lock-store';
import { evalScript } from './lua-script';
import { fenceKey, fencingToken, isOk, refreshed, released, scripts } from './redis-commands';
import { batchesCommands, type RedisLockClient } from './redis-lock-client';

/** The wire-compatible store: every replica that shares the Redis shares the locks. */
export class RedisLockStore implements LockStore {
  /** Gathers the commands of one turn into a pipeline; undefined where ioredis batches, or must not (see batchesCommands). */
  readonly #batch: CommandBatch | undefined;

  constructor(private readonly client: RedisLockClient) {
    this.#batch = batchesCommands(client) ? new CommandBatch(client) : undefined;
  }

  acquire(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = this.#batch !== undefined ? this.#batch.set(key, value, ttlMs) : this.client.set(key, value, 'PX', ttlMs, 'NX');
    return reply.then(isOk);
  }

  acquireFenced(key: string, value: string, ttlMs: number): Promise<number | null> {
    return this.#script(scripts.acquireFenced, [key, fenceKey(key)], [value, String(ttlMs)], fencingToken);
  }

  release(key: string, value: string): Promise<boolean> {
    return this.#script(scripts.release, [key], [value], released);
  }

  refresh(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#script(scripts.refresh, [key], [value, String(ttlMs)], refreshed);
  }

  #script<T>(script: (typeof scripts)[keyof typeof scripts], keys: string[], args: string[], map: (reply: unknown) => T): Promise<T> {
    return this.#batch !== undefined ? this.#batch.script(script, keys, args, map) : evalScript(this.client, script, keys, args, map);
  }
}
