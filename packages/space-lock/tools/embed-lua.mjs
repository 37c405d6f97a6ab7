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
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // First build.
}
if (current !== out) writeFileSync(target, out);
