import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');
const PACKAGE = join(ROOT, 'packages/space-lock');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

const keysOf = (source: string) =>
  JSON.parse(node(source.startsWith('import') ? ['--input-type=module', '-e', source] : ['-e', source])) as string[];

const PUBLIC: Record<string, string[]> = {
  'space-lock': [
    'SpaceLock',
    'SKIP_IN_PROGRESS',
    'SKIP_LOCK_HELD',
    'isSpaceLockSkip',
    'LockLostError',
    'SpaceLockClosedError',
    'UnexpectedReplyError',
    'MemoryLockStore',
    'DEFAULT_KEY_PREFIX',
    'DEFAULT_TTL_MS',
    'MAX_SPACE_ID_LENGTH',
  ],
  'space-lock/nestjs': ['SpaceLockModule', 'SpaceLockService'],
};

/** The built package as users load it from the repository root (npm test builds first). */
describe('the space-lock package entry points', () => {
  it.each([
    ['space-lock', ['SpaceLock', 'isSpaceLockSkip', 'LockLostError', 'SpaceLockClosedError', 'MemoryLockStore']],
    ['space-lock/nestjs', ['SpaceLockModule', 'SpaceLockService']],
  ])('%s exports the same names through require and import', (specifier, expected) => {
    const cjs = keysOf(`console.log(JSON.stringify(Object.keys(require('${specifier}')).sort()))`);
    const esm = keysOf(`import * as m from '${specifier}'; console.log(JSON.stringify(Object.keys(m).sort()))`);
    expect(cjs).toEqual(expect.arrayContaining(expected));
    // Nothing beyond the documented surface: SpaceLock, the sentinels and their guard, the errors, the
    // option defaults, MemoryLockStore; the Nest module and service.
    expect(cjs).toEqual([...(PUBLIC[specifier] ?? [])].sort());
    // The ESM entry lists its names by hand; this keeps it from drifting from the build.
    expect(esm).toEqual(cjs);
  });

  it('ESM and CommonJS importers share one implementation, so instanceof holds across them', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       import { SpaceLock } from 'space-lock';
       const require = createRequire(process.cwd() + '/');
       console.log(new SpaceLock({ store: new (require('space-lock').MemoryLockStore)() }) instanceof require('space-lock').SpaceLock);`,
    ]);
    expect(out.trim()).toBe('true');
  });

  it('ships type declarations for both entry points', () => {
    expect(existsSync(join(PACKAGE, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(PACKAGE, 'dist/nestjs/index.d.ts'))).toBe(true);
    expect(existsSync(join(PACKAGE, 'dist/scripts/lua.generated.js'))).toBe(true);
  });
});
