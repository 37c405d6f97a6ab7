/**
 * Just enough of an ioredis client for the lock: SET NX PX, and EVAL of the
 * two compare-and-* scripts, recognised by the command each one runs.
 * EVALSHA always answers NOSCRIPT, which exercises the lock's fallback and
 * spares this fake from knowing the scripts' hashes.
 */
export class FakeRedis {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  /** When set, every command rejects with it, as a client does when Redis is down. */
  failure: Error | undefined;

  async set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<'OK' | null> {
    this.#check();
    if (px !== 'PX' || nx !== 'NX') throw new Error(`FakeRedis: unsupported SET form ${px} ${nx}`);
    if (this.get(key) !== null) return null;
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    return 'OK';
  }

  async evalsha(): Promise<unknown> {
    this.#check();
    throw new Error('NOSCRIPT No matching script. Please use EVAL.');
  }

  async eval(script: string, numKeys: number, key: string, ...args: string[]): Promise<number> {
    this.#check();
    if (numKeys !== 1) throw new Error('FakeRedis: scripts take one key');
    const entry = this.#live(key);
    if (entry?.value !== args[0]) return 0;
    if (script.includes('"PEXPIRE"')) {
      entry.expiresAt = Date.now() + Number(args[1]);
      return 1;
    }
    if (script.includes('"DEL"')) {
      this.#entries.delete(key);
      return 1;
    }
    throw new Error('FakeRedis: unknown script');
  }

  /** Synchronous GET, for assertions. */
  get(key: string): string | null {
    return this.#live(key)?.value ?? null;
  }

  /** Overwrites the key unconditionally, as another holder would after our lease ran out. */
  forceSet(key: string, value: string, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  del(key: string): void {
    this.#entries.delete(key);
  }

  #live(key: string): { value: string; expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
