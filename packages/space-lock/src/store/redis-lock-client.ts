/**
 * The only Redis commands the lock sends. Typed structurally so that an
 * ioredis `Redis`, an ioredis `Cluster`, or any client with the same
 * command signatures fits, without this package importing ioredis.
 */
export interface RedisLockClient {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<string | null>;
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /**
   * The connection's socket, when the client has one (a plain ioredis
   * `Redis`, once connecting): the lock's commands of one turn of the event
   * loop then leave together, a write per 16 (see CorkedBatch).
   */
  readonly stream?: RedisLockSocket | null;
  /** Explicit pipelines, which the lock sends its commands in on a client that auto-pipelines (see PipelinedBatch). */
  pipeline?(): RedisLockPipeline;
  /** With `wakeOnRelease: true`: makes the one subscriber connection per SpaceLock that hears releases. */
  duplicate?(): RedisLockSubscriber;
}

/** The part of an ioredis connection in subscriber mode that the lock uses. */
export interface RedisLockSubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  disconnect(): void;
}

/** Node's `Writable` corking, which is all the batching needs of a socket. */
export interface RedisLockSocket {
  cork(): void;
  uncork(): void;
}

export interface RedisLockPipeline {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): unknown;
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): unknown;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

export function isRedisLockClient(value: unknown): value is RedisLockClient {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.set === 'function' &&
    typeof candidate.evalsha === 'function' &&
    typeof candidate.eval === 'function'
  );
}
