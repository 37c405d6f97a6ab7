import { evalScript, isNoScript, type LuaScript } from './lua-script';
import type { RedisLockClient, RedisLockPipeline, RedisLockSocket } from './redis-lock-client';

/**
 * The most commands one socket write or one pipeline carries. A turn's
 * commands go out in chunks, not all at its end: Redis starts on the first
 * chunk while this process still prepares the next, and on two cores that
 * overlap was worth more than the writes one big chunk saves. 64 callers on
 * distinct keys, one plain client: 94–98k holds/s in chunks of 16, 60–65k in
 * one write per turn, against 73–76k for raw commands written one by one.
 */
export const COMMANDS_PER_WRITE = 16;

/** Sends the lock's commands, gathering those of one turn of the event loop. */
export interface CommandBatch {
  set(key: string, value: string, ttlMs: number): Promise<string | null>;
  /** EVALSHA, with EVAL on NOSCRIPT, as `evalScript` does. */
  script<T>(script: LuaScript, keys: string[], args: string[], map: (reply: unknown) => T): Promise<T>;
}

/**
 * For a plain client: the first command of a turn of the event loop goes out
 * at once, as if there were no batching, so one hold after another pays
 * nothing for it. The commands that follow it in the same turn cork the
 * client's socket until the end of the turn's microtasks, and leave in one
 * `writev` per `COMMANDS_PER_WRITE` instead of a system call each. This is
 * pipelining at the socket, with the client's own command objects and reply
 * handling: an ioredis `pipeline()` per turn cost more JavaScript than the
 * system calls it saved (64 callers: 47–55k holds/s).
 *
 * Whatever else is written to the socket in that turn, the caller's own
 * commands included, waits for the uncork too: at most until the end of the
 * turn's microtasks.
 */
export class CorkedBatch implements CommandBatch {
  /** True from the first command of a turn until the turn's microtasks are done. */
  #turnOpen = false;
  /** The socket corked in this turn; undefined when nothing is corked. */
  #corked: RedisLockSocket | undefined = undefined;
  /** Commands written since the socket was last corked. */
  #pending = 0;
  readonly #endTurn = () => {
    this.#turnOpen = false;
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  constructor(private readonly client: RedisLockClient) {}

  set(key: string, value: string, ttlMs: number): Promise<string | null> {
    this.#cork();
    return this.client.set(key, value, 'PX', ttlMs, 'NX');
  }

  script<T>(script: LuaScript, keys: string[], args: string[], map: (reply: unknown) => T): Promise<T> {
    this.#cork();
    return evalScript(this.client, script, keys, args, map);
  }

  /** Before each command: opens the turn, corks the socket for the rest of it, or lets a full chunk go. */
  #cork(): void {
    if (!this.#turnOpen) {
      this.#turnOpen = true;
      // A tick queued from a microtask runs once the microtask queue is empty:
      // after every await chain that this turn's replies resumed has written.
      process.nextTick(this.#endTurn);
      return;
    }
    const corked = this.#corked;
    if (corked !== undefined) {
      if (++this.#pending <= COMMANDS_PER_WRITE) return;
      corked.uncork();
      corked.cork();
      this.#pending = 1;
      return;
    }
    // No socket before the first connect (lazyConnect): the client queues the command itself.
    const socket = this.client.stream;
    if (socket === undefined || socket === null) return;
    socket.cork();
    this.#corked = socket;
    this.#pending = 1;
  }
}

interface Queued {
  /** Adds this command to the pipeline. */
  add(pipeline: RedisLockPipeline): void;
  /** Settles the caller's promise with the command's outcome. */
  settle(err: Error | null, reply: unknown): void;
}

/**
 * A queued SET NX PX. Plain objects with methods on the prototype rather
 * than a pair of closures each: 10,000 holds queue 10,000 of these a second,
 * and every closure less is garbage the young generation does not collect.
 */
class QueuedSet implements Queued {
  constructor(
    private readonly key: string,
    private readonly value: string,
    private readonly ttlMs: number,
    private readonly resolve: (reply: string | null) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  add(pipeline: RedisLockPipeline): void {
    pipeline.set(this.key, this.value, 'PX', this.ttlMs, 'NX');
  }

  settle(err: Error | null, reply: unknown): void {
    if (err === null) this.resolve(reply as string | null);
    else this.reject(err);
  }
}

/** A queued EVALSHA, which goes again as EVAL on NOSCRIPT, as `evalScript` does. */
class QueuedScript<T> implements Queued {
  constructor(
    private readonly client: RedisLockClient,
    private readonly script: LuaScript,
    private readonly keys: string[],
    private readonly args: string[],
    private readonly map: (reply: unknown) => T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  add(pipeline: RedisLockPipeline): void {
    pipeline.evalsha(this.script.sha, this.keys.length, ...this.keys, ...this.args);
  }

  settle(err: Error | null, reply: unknown): void {
    if (err === null) this.#mapped(reply);
    // The server lost its scripts (restart, failover, SCRIPT FLUSH): this one goes again as EVAL.
    else if (isNoScript(err))
      this.client
        .eval(this.script.source, this.keys.length, ...this.keys, ...this.args)
        .then((r) => this.#mapped(r), this.reject);
    else this.reject(err);
  }

  #mapped(reply: unknown): void {
    let value: T;
    try {
      value = this.map(reply);
    } catch (err) {
      // The reply readers throw only UnexpectedReplyError; anything else is wrapped, never lost.
      this.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.resolve(value);
  }
}

/**
 * For a client that auto-pipelines: the lock's commands of one turn go in
 * explicit pipelines of at most `COMMANDS_PER_WRITE`, each sent when full or
 * at the end of the turn's microtasks. ioredis sends an auto-pipeline only
 * once the one before it is answered, so there every command waits a round
 * trip for the batch ahead; an explicit pipeline goes at once. 64 callers on
 * distinct keys: 61–67k holds/s, against 43–50k for raw commands on the same
 * auto-pipelining client. The caller's own commands keep auto-pipelining.
 */
export class PipelinedBatch implements CommandBatch {
  #queued: Queued[] = [];
  #flushQueued = false;
  readonly #endTurn = () => {
    this.#flushQueued = false;
    this.#send();
  };

  constructor(private readonly client: RedisLockClient & { pipeline(): RedisLockPipeline }) {}

  set(key: string, value: string, ttlMs: number): Promise<string | null> {
    return new Promise((resolve, reject) => this.#push(new QueuedSet(key, value, ttlMs, resolve, reject)));
  }

  script<T>(script: LuaScript, keys: string[], args: string[], map: (reply: unknown) => T): Promise<T> {
    return new Promise((resolve, reject) =>
      this.#push(new QueuedScript(this.client, script, keys, args, map, resolve, reject)),
    );
  }

  #push(queued: Queued): void {
    this.#queued.push(queued);
    if (this.#queued.length >= COMMANDS_PER_WRITE) this.#send();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      // As in CorkedBatch: a tick queued from a microtask runs once the microtask queue is empty.
      process.nextTick(this.#endTurn);
    }
  }

  #send(): void {
    const queued = this.#queued;
    if (queued.length === 0) return;
    this.#queued = [];
    const pipeline = this.client.pipeline();
    for (const q of queued) q.add(pipeline);
    pipeline.exec().then(
      (results) =>
        queued.forEach((q, i) => {
          const [err, reply] = results?.[i] ?? [new Error('the pipeline was discarded'), undefined];
          q.settle(err, reply);
        }),
      (err: Error) => queued.forEach((q) => q.settle(err, undefined)),
    );
  }
}

/**
 * How the lock batches its commands on `client`:
 * - a Cluster: not at all (undefined), as it has a socket per node and
 *   pipelines that must stay in one slot;
 * - a client that auto-pipelines: a `PipelinedBatch`. ioredis keeps one
 *   auto-pipeline in flight per connection, so every command waits for the
 *   round trip of the one before; explicit pipelines do not wait;
 * - any other client (a plain ioredis `Redis`): a `CorkedBatch`, which corks
 *   its socket (`stream`) once it has one, and otherwise sends one by one.
 */
export function commandBatchFor(client: RedisLockClient): CommandBatch | undefined {
  const c = client as RedisLockClient & { isCluster?: boolean; options?: { enableAutoPipelining?: boolean } };
  if (c.isCluster === true) return undefined;
  if (c.options?.enableAutoPipelining === true && typeof c.pipeline === 'function')
    return new PipelinedBatch(c as RedisLockClient & { pipeline(): RedisLockPipeline });
  return new CorkedBatch(client);
}
