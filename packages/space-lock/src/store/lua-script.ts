import { createHash } from 'node:crypto';
import { LUA_SOURCES, type LuaScriptName } from '../scripts/lua.generated';
import type { RedisLockClient } from './redis-lock-client';

/** A Lua script of `src/scripts/`, embedded at build time, with its SHA1 for EVALSHA. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function loadScript(name: LuaScriptName): LuaScript {
  const source = LUA_SOURCES[name];
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * EVALSHA, falling back to EVAL when the server has no copy of the script
 * (first use, a restart, failover, or SCRIPT FLUSH). EVAL also caches the
 * script server-side, so the next call is back on the short path.
 */
export function evalScript<T>(
  client: RedisLockClient,
  script: LuaScript,
  keys: string[],
  args: string[],
  mapReply: (reply: unknown) => T,
): Promise<T> {
  // One `.then` for both outcomes: this is on every release and refresh, and
  // a separate `.catch` + `.then` would allocate a promise more per call.
  return client.evalsha(script.sha, keys.length, ...keys, ...args).then(mapReply, (err: unknown) => {
    if (!isNoScript(err)) throw err;
    return client.eval(script.source, keys.length, ...keys, ...args).then(mapReply);
  });
}
