import type { createRequire as CreateRequire } from 'node:module';

type PgliteModule = typeof import('@electric-sql/pglite');

/**
 * PGlite loads its WebAssembly and file-system bundle with dynamic `import()`. Code evaluated inside a
 * VM sandbox (Jest without --experimental-vm-modules) cannot do that, and such sandboxes also wrap
 * `require('module')`. So the module is loaded through Node's own loader, taken from
 * `process.getBuiltinModule`; in a plain Node process this is the same as `require`.
 */
export function loadPglite(): PgliteModule {
  const nodeModule = process.getBuiltinModule?.('node:module') as { createRequire: typeof CreateRequire } | undefined;
  const load = nodeModule ? nodeModule.createRequire(__filename) : require;
  return load('@electric-sql/pglite') as PgliteModule;
}
