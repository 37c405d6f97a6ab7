#!/usr/bin/env node
// Writes src/scripts/lua.generated.ts from src/scripts/*.lua, so the built
// package carries its Lua inside its JavaScript and reads nothing from disk
// at import (bundlers and single-file deployments then just work). The .lua
// files stay the one source; a unit test fails when the two drift apart.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'scripts');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.lua'))
  .sort();
const entries = names.map(
  (f) => `  ${JSON.stringify(f.slice(0, -'.lua'.length))}: ${JSON.stringify(readFileSync(join(dir, f), 'utf8'))},`,
);
const out = [
  '// Generated from src/scripts/*.lua by tools/embed-lua.mjs (run by `npm run build`). Edit the .lua files, not this.',
  'export const LUA_SOURCES = {',
  ...entries,
  '} as const;',
  '',
  'export type LuaScriptName = keyof typeof LUA_SOURCES;',
  '',
].join('\n');
const target = join(dir, 'lua.generated.ts');
const formatted = await formatLikeTheRepository(out, target);
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // First build.
}
if (current !== formatted) writeFileSync(target, formatted);

/**
 * The repository formats every source with Prettier, this file included; the
 * build writes it the same way, so building leaves the tree clean. Without
 * Prettier (a build outside the repository) the plain output is as good.
 */
async function formatLikeTheRepository(source, path) {
  let prettier;
  try {
    prettier = await import('prettier');
  } catch {
    return source;
  }
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(source, { ...options, filepath: path });
}
