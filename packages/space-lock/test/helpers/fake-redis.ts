import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisLockClient } from '../../src';

export type Command = 'set' | 'evalsha' | 'eval';
export type ScriptName = 'release' | 'refresh' | 'acquire-fenced';

export interface RecordedCall {
  command: Command;
  args: unknown[];
  /** Which lock script an EVAL/EVALSHA ran, resolved from its source or SHA. */
  script?: ScriptName;
  /** An EVALSHA the server answered with NOSCRIPT: on the wire, but the script did not run. */
  noscript?: boolean;
}

const SCRIPT_SOURCES: Record<ScriptName, string> = {
  release: readFileSync(join(__dirname, '../../src/scripts/release-1.lua'), 'utf8'),
  refresh: readFileSync(join(__dirname, '../../src/scripts/refresh-1.lua'), 'utf8'),
  'acquire-fenced': readFileSync(join(__dirname, '../../src/scripts/acquire-fenced-2.lua'), 'utf8'),
};
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const SCRIPT_BY_SHA = new Map(Object.entries(SCRIPT_SOURCES).map(([name, src]) => [sha1(src), name as ScriptName]));
const SCRIPT_BY_SOURCE = new Map(Object.entries(SCRIPT_SOURCES).map(([name, src]) => [src, name as ScriptName]));

/** Replaces the reply of one kind of operation; return undefined to fall through to the default semantics. */
export type Override = (args: unknown[]) => Promise<unknown> | undefined;

/**
 * A Redis stand-in with no network: records every command the lock sends,
 * emulates GET/SET NX/DEL/PEXPIRE and the two lock scripts against a map
 * (TTL on the injected clock), starts with an empty script cache so the
 * first EVALSHA gets NOSCRIPT as a real server would, and lets a test
 * replace any reply (reject, hang, reply 0).
 */
export class FakeRedis implements RedisLockClient {
  readonly calls: RecordedCall[] = [];
  readonly #values = new Map<string, { value: string; expiresAt: number }>();
  readonly #scriptCache = new Set<string>();
  readonly #overrides = new Map<'set' | ScriptName, Override>();
  /** When set, every command rejects with it, as a client does when Redis is down. */
  failure: Error | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  override(op: 'set' | ScriptName, fn: Override): void {
    this.#overrides.set(op, fn);
  }

  clearOverride(op: 'set' | ScriptName): void {
    this.#overrides.delete(op);
  }

  /** Writes the key directly, as another holder would. */
  put(key: string, value: string, ttlMs = 60_000): void {
    this.#values.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  del(key: string): void {
    this.#values.delete(key);
  }

  get(key: string): string | undefined {
    const entry = this.#values.get(key);
    if (entry === undefined || entry.expiresAt <= this.now()) return undefined;
    return entry.value;
  }

  pttl(key: string): number {
    const entry = this.#values.get(key);
    return entry === undefined ? -2 : entry.expiresAt - this.now();
  }

  flushScripts(): void {
    this.#scriptCache.clear();
  }

  /** The operations that ran: a NOSCRIPT round and its EVAL retry count once. */
  callsOf(op: 'set' | ScriptName): RecordedCall[] {
    return this.calls.filter((c) => !c.noscript && (op === 'set' ? c.command === 'set' : c.script === op));
  }

  async set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<string | null> {
    const args = [key, value, px, ttlMs, nx];
    this.calls.push({ command: 'set', args });
    if (this.failure) throw this.failure;
    const overridden = this.#overrides.get('set')?.(args);
    if (overridden !== undefined) return (await overridden) as string | null;
    if (px !== 'PX' || nx !== 'NX') throw new Error(`ERR fake only supports SET PX NX, got ${px} ${nx}`);
    if (this.get(key) !== undefined) return null;
    this.#values.set(key, { value, expiresAt: this.now() + ttlMs });
    return 'OK';
  }

  async evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown> {
    const script = SCRIPT_BY_SHA.get(sha);
    const call: RecordedCall = { command: 'evalsha', args: [sha, numKeys, ...keysAndArgs], script };
    this.calls.push(call);
    if (this.failure) throw this.failure;
    if (!this.#scriptCache.has(sha)) {
      call.noscript = true;
      throw new Error('NOSCRIPT No matching script. Please use EVAL.');
    }
    return this.#run(script!, numKeys, keysAndArgs);
  }

  async eval(source: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown> {
    const script = SCRIPT_BY_SOURCE.get(source);
    this.calls.push({ command: 'eval', args: [source, numKeys, ...keysAndArgs], script });
    if (this.failure) throw this.failure;
    if (script === undefined) throw new Error('ERR fake does not know this script');
    this.#scriptCache.add(sha1(source));
    return this.#run(script, numKeys, keysAndArgs);
  }

  async #run(script: ScriptName, numKeys: number, keysAndArgs: string[]): Promise<unknown> {
    const overridden = this.#overrides.get(script)?.(keysAndArgs);
    if (overridden !== undefined) return overridden;
    if (script === 'acquire-fenced') {
      if (numKeys !== 2) throw new Error(`ERR acquire-fenced takes 2 keys, got ${numKeys}`);
      const [key, fence, owner, ttl] = keysAndArgs;
      if (this.get(key) !== undefined) return 0;
      this.#values.set(key, { value: owner, expiresAt: this.now() + Number(ttl) });
      const token = Number(this.get(fence) ?? 0) + 1;
      this.#values.set(fence, { value: String(token), expiresAt: Infinity });
      return token;
    }
    if (numKeys !== 1) throw new Error(`ERR lock scripts take 1 key, got ${numKeys}`);
    const [key, owner, ttl] = keysAndArgs;
    if (this.get(key) !== owner) return 0;
    if (script === 'release') this.#values.delete(key);
    else this.#values.set(key, { value: owner, expiresAt: this.now() + Number(ttl) });
    return 1;
  }
}

/** A logger that keeps what it was told, for assertions. */
export class RecordingLogger {
  readonly lines: { level: 'log' | 'warn' | 'error'; message: string }[] = [];
  log = (message: string) => void this.lines.push({ level: 'log', message });
  warn = (message: string) => void this.lines.push({ level: 'warn', message });
  error = (message: string) => void this.lines.push({ level: 'error', message });
  at(level: 'log' | 'warn' | 'error'): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
}

/** A promise whose settling the test controls. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
