import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Redis from 'ioredis';
import {
  DESTRUCTIVE_COMMANDS,
  SharedRedisGuardError,
  createClient,
  destructiveCommand,
  stopAll,
} from '../helpers/redis-server';

const ROOT = join(__dirname, '../../../..');
const SUITE_DIRS = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(ROOT, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(ROOT, group, d.name, 'test')),
);
// The harness defines the guard, and this file names every command on purpose.
const EXEMPT = new Set([join(__dirname, '../helpers/redis-server.ts'), __filename]);

/** Source patterns of the commands in DESTRUCTIVE_COMMANDS, as tests spell them. */
const PATTERNS: ReadonlyArray<readonly [string, RegExp]> = DESTRUCTIVE_COMMANDS.map(([command, sub]) => {
  const quoted = (w: string) => `['"\`]${w}['"\`]`;
  // `.call('CLIENT', 'PAUSE', …)`, `.sendCommand(new Command('flushall'…`
  const generic = `\\.(?:call|callBuffer|send_command|sendCommand)\\s*\\(\\s*(?:new\\s+\\w+\\s*\\(\\s*)?${quoted(command)}`;
  // Loggers have a `.debug(` too; the Redis one is told apart by what it asks for.
  const method =
    command === 'debug'
      ? `\\.debug\\s*\\(\\s*${quoted('(?:sleep|restart|reload|segfault|crash-and-recover|set-active-expire)')}`
      : `\\.${command}\\s*\\(`;
  const source =
    sub === undefined
      ? // `.flushall(`, `.call('FLUSHALL')`, `redis-cli … shutdown`
        `${method}|${generic}|redis-cli[^\\n]*\\s${command}\\b`
      : // `.script('FLUSH'`, `.call('CLIENT', 'PAUSE'`, `redis-cli … config set`
        `\\.${command}\\s*\\(\\s*${quoted(sub)}|${generic}\\s*,\\s*${quoted(sub)}|redis-cli[^\\n]*\\s${command}\\s+${sub}\\b`;
  return [
    sub === undefined ? command.toUpperCase() : `${command} ${sub}`.toUpperCase(),
    new RegExp(source, 'i'),
  ] as const;
});
// A file that starts servers of its own may run the commands on them.
const OWN_SERVER = /\bstart\w*(?:Redis|Cluster|Sentinel)\w*\s*\(/;

/** Which destructive commands `source` issues without starting a server of its own. */
function unisolatedCommands(source: string): string[] {
  if (OWN_SERVER.test(source)) return [];
  return PATTERNS.filter(([, pattern]) => pattern.test(source)).map(([name]) => name);
}

function testSources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && /\.(ts|js|mjs|cjs|sh)$/.test(e.name))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((file) => !EXEMPT.has(file));
}

describe('tests that flush, pause, sleep, stop or reconfigure Redis use a server of their own', () => {
  it('finds the suites to check', () => {
    expect(SUITE_DIRS.map((d) => relative(ROOT, d))).toEqual(
      expect.arrayContaining(['packages/space-lock/test', 'apps/git-sync/test']),
    );
    expect(SUITE_DIRS.flatMap(testSources).length).toBeGreaterThan(20);
  });

  it('no test source aims a destructive command at the shared server', () => {
    const offenders = SUITE_DIRS.flatMap(testSources).flatMap((file) =>
      unisolatedCommands(readFileSync(file, 'utf8')).map((command) => `${relative(ROOT, file)}: ${command}`),
    );
    expect(offenders).toEqual([]);
  });

  it.each([
    ['await admin.flushall();', ['FLUSHALL']],
    ["await admin.script('FLUSH');", ['SCRIPT FLUSH']],
    ["await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');", ['CLIENT PAUSE']],
    ["await admin.call('DEBUG', 'SLEEP', '2');", ['DEBUG']],
    ["await admin.config('SET', 'maxmemory', '1mb');", ['CONFIG SET']],
    ["execSync('redis-cli -p 6379 shutdown nosave');", ['SHUTDOWN']],
    ['const server = await startRedisServer(); await admin.flushall();', []],
    ["await admin.debug('SLEEP', 2);", ['DEBUG']],
    ["await admin.script('LOAD', body); await admin.get('flushall-count');", []],
    ["logger.debug('cycle skipped'); const level = 'debug';", []],
  ])('the check flags `%s` as %j', (source, expected) => {
    expect(unisolatedCommands(source)).toEqual(expected);
  });
});

describe('clients of the shared Redis refuse destructive commands at run time', () => {
  afterAll(stopAll);

  it.each([
    ['FLUSHALL', (c: Redis) => c.flushall()],
    ['FLUSHDB', (c: Redis) => c.flushdb()],
    ['SCRIPT FLUSH', (c: Redis) => c.script('FLUSH')],
    ['CLIENT PAUSE', (c: Redis) => c.call('CLIENT', 'PAUSE', '10000', 'ALL')],
    ['DEBUG', (c: Redis) => c.call('DEBUG', 'SLEEP', '5')],
    ['CONFIG SET', (c: Redis) => c.config('SET', 'maxmemory', '1')],
    ['SHUTDOWN', (c: Redis) => c.shutdown('NOSAVE')],
  ])('%s is refused before it is sent', async (command, send) => {
    // lazyConnect and no server needed: the guard answers before any byte is written.
    const client = createClient('redis://127.0.0.1:6379', { lazyConnect: true });
    const err = await send(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SharedRedisGuardError);
    expect((err as SharedRedisGuardError).command).toBe(command);
    expect(client.status).toBe('wait');
  });

  it('lets ordinary commands and harmless subcommands through', () => {
    expect(destructiveCommand('script', ['LOAD', 'return 1'])).toBeUndefined();
    expect(destructiveCommand('client', ['SETNAME', 'x'])).toBeUndefined();
    expect(destructiveCommand('config', ['GET', 'maxmemory'])).toBeUndefined();
    expect(destructiveCommand('set', ['k', 'v'])).toBeUndefined();
    expect(destructiveCommand('CLIENT', [Buffer.from('pause'), '1'])).toBe('CLIENT PAUSE');
  });

  it("guards only the shared server: a server of the test's own is left alone", () => {
    const shared = createClient('redis://localhost:6379', { lazyConnect: true });
    const own = createClient('redis://127.0.0.1:1', { lazyConnect: true });
    // Compared by identity, never called: the guard replaces the method on the shared server's client only.
    const original: unknown = Object.getOwnPropertyDescriptor(Redis.prototype, 'sendCommand')?.value;
    const methodOf = (client: Redis): unknown => Reflect.get(client, 'sendCommand');
    expect(methodOf(shared)).not.toBe(original);
    expect(methodOf(own)).toBe(original);
  });
});
