import { commandBatchFor, type CommandBatch } from './command-batch';
import type { LockStore } from './lock-store';
import { evalScript, type LuaScript } from './lua-script';
import { fenceKey, fencingToken, isOk, refreshed, released, scripts } from './redis-commands';
import type { RedisLockClient } from './redis-lock-client';

/** The wire-compatible store: every replica that shares the Redis shares the locks. */
export class RedisLockStore implements LockStore {
  /** Gathers the commands of one turn of the event loop; undefined where they go one by one (see commandBatchFor). */
  readonly #batch: CommandBatch | undefined;
  readonly #release: LuaScript;
  /** The last TTL sent and its decimal string: a SpaceLock has one TTL, and refreshes need not format it each time. */
  #ttlMs = -1;
  #ttlArg = '';

  /** With `notifyReleases`, a release also publishes on the channel named like the key (release-notify-1.lua). */
  constructor(
    private readonly client: RedisLockClient,
    notifyReleases = false,
  ) {
    this.#batch = commandBatchFor(client);
    this.#release = notifyReleases ? scripts.releaseNotify : scripts.release;
  }

  acquire(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply =
      this.#batch !== undefined ? this.#batch.set(key, value, ttlMs) : this.client.set(key, value, 'PX', ttlMs, 'NX');
    return reply.then(isOk);
  }

  acquireFenced(key: string, value: string, ttlMs: number): Promise<number | null> {
    return this.#script(scripts.acquireFenced, [key, fenceKey(key)], [value, this.#ttl(ttlMs)], fencingToken);
  }

  release(key: string, value: string): Promise<boolean> {
    return this.#script(this.#release, [key], [value], released);
  }

  refresh(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.#script(scripts.refresh, [key], [value, this.#ttl(ttlMs)], refreshed);
  }

  #ttl(ttlMs: number): string {
    if (ttlMs !== this.#ttlMs) {
      this.#ttlArg = String(ttlMs);
      this.#ttlMs = ttlMs;
    }
    return this.#ttlArg;
  }

  #script<T>(script: LuaScript, keys: string[], args: string[], map: (reply: unknown) => T): Promise<T> {
    return this.#batch !== undefined
      ? this.#batch.script(script, keys, args, map)
      : evalScript(this.client, script, keys, args, map);
  }
}
