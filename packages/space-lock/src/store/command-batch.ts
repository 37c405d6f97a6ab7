import { evalScript, isNoScript, type LuaScript } from './lua-script';
import type { RedisLockClient, RedisLockPipeline } from './redis-lock-client';

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
 * Sends the lock's commands as they come, except that commands issued after
 * the first one of the same turn of the event loop are gathered and go out
 * together as one pipeline at the end of the turn: one write and one read for
 * the lot instead of one each. A command alone in its turn (sequential use)
 * goes out at once, as if there were no batching.
 */
export class CommandBatch {
  /** True from the first command of a turn until the turn's commands are sent. */
  #turnOpen = false;
  #queued: Queued[] = [];
  readonly #endTurn = () => this.#flush();
  readonly #endMicrotasks = () => this.#afterMicrotasks();

  constructor(private readonly client: RedisLockClient & { pipeline(): RedisLockPipeline }) {}

  set(key: string, value: string, ttlMs: number): Promise<string | null> {
    if (this.#open()) return this.client.set(key, value, 'PX', ttlMs, 'NX');
    return new Promise((resolve, reject) => this.#queued.push(new QueuedSet(key, value, ttlMs, resolve, reject)));
  }

  /** EVALSHA, with EVAL on NOSCRIPT, as `evalScript` does. */
  script<T>(script: LuaScript, keys: string[], args: string[], map: (reply: unknown) => T): Promise<T> {
    if (this.#open()) return evalScript(this.client, script, keys, args, map);
    return new Promise((resolve, reject) =>
      this.#queued.push(new QueuedScript(this.client, script, keys, args, map, resolve, reject)),
    );
  }

  /** Opens the turn if it was closed; true when the caller is its first command and goes out directly. */
  #open(): boolean {
    if (this.#turnOpen) return false;
    this.#turnOpen = true;
    queueMicrotask(this.#endMicrotasks);
    return true;
  }

  /**
   * Alone in its turn (sequential use), the turn ends here, for the price of
   * a microtask. With company, it stays open until the event loop's check
   * phase, so the replies read in this poll phase, and every await chain they
   * start, add their commands to the same pipeline.
   */
  #afterMicrotasks(): void {
    if (this.#queued.length === 0) this.#turnOpen = false;
    else setImmediate(this.#endTurn);
  }

  #flush(): void {
    this.#turnOpen = false;
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
