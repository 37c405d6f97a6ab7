import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { getRedisUrl, uniquePrefix } from '../helpers/redis-server';

// The project-level testTimeout in jest.config.js is not honoured by Jest 29, so the budget is set here.
jest.setTimeout(120_000);

const ROOT = join(__dirname, '../../../..');
const PACKAGE = join(ROOT, 'packages/space-lock');
/**
 * Peer dependencies the Nest entry needs, taken from the workspace, so the
 * test needs no network. `@nestjs-labs/nestjs-ioredis` is left out on
 * purpose: it is optional.
 */
const NEST_PEERS = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The packed tarball (npm test builds first), installed into a project outside the workspace. */
describe('the packed space-lock package', () => {
  let dir: string;
  let project: string;
  let files: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'space-lock-pack-'));
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], PACKAGE)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = packed.files.map((f) => f.path).sort();
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'space-lock-probe', private: true }));
    // Every peer is optional, so this needs nothing from the registry.
    run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, packed.filename)],
      project,
    );
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('holds only the build, the ESM wrappers, the Lua sources and README, LICENSE, CHANGELOG, with engines', () => {
    const unexpected = files.filter(
      (f) =>
        !/^dist\/.+\.(js|d\.ts)$/.test(f) &&
        !/^esm\/[^/]+\.mjs$/.test(f) &&
        !/^src\/scripts\/[^/]+\.lua$/.test(f) &&
        !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f),
    );
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'src/scripts/release-1.lua',
        'src/scripts/refresh-1.lua',
        'src/scripts/acquire-fenced-2.lua',
      ]),
    );
    expect(files.some((f) => f.includes('tsbuildinfo') || f.endsWith('.map'))).toBe(false);
    const manifest = JSON.parse(run('node', ['-p', "JSON.stringify(require('space-lock/package.json'))"], project)) as {
      engines?: { node?: string };
    };
    expect(manifest.engines?.node).toBe('>=20');
  });

  it('loads both entry points through require and import, with the same names', () => {
    for (const peer of NEST_PEERS) {
      mkdirSync(join(project, 'node_modules', peer, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', peer), join(project, 'node_modules', peer));
    }
    for (const [specifier, expected] of [
      ['space-lock', ['MemoryLockStore', 'SpaceLock', 'isSpaceLockSkip', 'LockLostError', 'UnexpectedReplyError']],
      ['space-lock/nestjs', ['SpaceLockModule', 'SpaceLockService']],
    ] as const) {
      const cjs = JSON.parse(
        run('node', ['-e', `console.log(JSON.stringify(Object.keys(require('${specifier}')).sort()))`], project),
      ) as string[];
      const esm = JSON.parse(
        run(
          'node',
          [
            '--input-type=module',
            '-e',
            `import * as m from '${specifier}'; console.log(JSON.stringify(Object.keys(m).sort()))`,
          ],
          project,
        ),
      ) as string[];
      expect(cjs).toEqual(expect.arrayContaining([...expected]));
      expect(esm).toEqual(cjs);
    }
  });

  it('bundles with esbuild into one file that holds a lock on a real Redis, reading no Lua from disk', async () => {
    const entry = join(project, 'hold.cjs');
    writeFileSync(
      entry,
      `const { SpaceLock, isSpaceLockSkip } = require('space-lock');
       const Redis = require(process.env.IOREDIS);
       (async () => {
         const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
         const key = process.env.KEY_PREFIX + 'space-1';
         const lock = new SpaceLock({ redis, keyPrefix: process.env.KEY_PREFIX, ttlMs: 5000, fencing: true });
         const out = await lock.withSpaceLock('space-1', async (ctx) => ({ token: ctx.fencingToken, holder: await redis.get(key) }));
         const after = await redis.exists(key);
         await redis.del('{' + key + '}:fence');
         await redis.quit();
         console.log(JSON.stringify({ skipped: isSpaceLockSkip(out), out, after, instanceId: lock.instanceId }));
       })();`,
    );
    const bundleDir = join(dir, 'bundle');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: join(bundleDir, 'hold.cjs'),
      logLevel: 'silent',
    });
    // The package is gone by the time the bundle runs: whatever it needs must be inside the bundle.
    rmSync(join(project, 'node_modules', 'space-lock'), { recursive: true, force: true });
    const prefix = uniquePrefix('bundle');
    const out = JSON.parse(
      run('node', [join(bundleDir, 'hold.cjs')], bundleDir, {
        ...process.env,
        REDIS_URL: await getRedisUrl(),
        KEY_PREFIX: prefix,
        IOREDIS: require.resolve('ioredis'),
      }),
    ) as { skipped: boolean; out: { token: number; holder: string }; after: number; instanceId: string };
    expect(out).toEqual({
      skipped: false,
      out: { token: 1, holder: out.instanceId },
      after: 0,
      instanceId: expect.any(String) as string,
    });
  });
});
