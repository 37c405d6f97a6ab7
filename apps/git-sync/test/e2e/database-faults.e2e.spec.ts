import { join } from 'node:path';
import { Pool } from 'pg';
import type { TcpProxy } from '../../../../packages/space-lock/test/helpers/tcp-proxy';
import { startDemoServerBehindProxy, type DemoServerBehindProxy, type E2eEnv } from './support/e2e-env';
import { GitCli } from './support/git-cli';
import { DATABASE_URL } from '../support/postgres-schema';
import type { ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

/**
 * The server on PostgreSQL while the database drops its connections
 * (`pg_terminate_backend`) or cannot be reached at all (a cut TCP path):
 * requests fail with 503 and Retry-After, never 500, and the process stays up
 * and recovers by itself.
 */
describe('the server when PostgreSQL drops or refuses its connections', () => {
  let suite: DemoServerBehindProxy;
  let env: E2eEnv;
  let server: ServerProcess;
  let proxy: TcpProxy;
  let admin: Pool;
  let git: GitCli;

  beforeAll(async () => {
    suite = await startDemoServerBehindProxy('db-faults', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '100',
    });
    ({ env, server, proxy } = suite);
    admin = new Pool({ connectionString: DATABASE_URL, max: 1 });
    git = new GitCli(env.tmp);
  });

  afterEach(() => {
    // A crash is the failure this suite looks for; its stack is the first thing to read.
    if (server.proc.exitCode !== null)
      process.stderr.write(`server exited with ${server.proc.exitCode}:\n${server.stderr.join('\n')}\n`);
  });

  afterAll(async () => {
    await suite?.stop();
    await admin?.end();
  });

  /** Every answer is a success or a "retry" with Retry-After; anything else is reported. */
  const expectOkOrRetry = (responses: Array<{ status: number; retryAfter: string | null }>) => {
    const bad = responses.filter(
      (r) => !(r.status === 200 || (r.status === 503 && r.retryAfter !== null && Number(r.retryAfter) >= 1)),
    );
    expect(bad).toEqual([]);
  };

  const listSpaces = async () => {
    const res = await fetch(`${server.baseUrl}/api/spaces`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };

  const cloneDemo = (name: string) => git.run(['clone', '-q', suite.url, join(env.tmp, name)]);

  it('survives pg_terminate_backend of all of its connections, with requests in flight, and serves again', async () => {
    // Open several pooled connections first, so idle ones are terminated too (the pool's 'error' event).
    await Promise.all(Array.from({ length: 8 }, () => listSpaces()));
    const inFlight = Array.from({ length: 30 }, () => listSpaces());
    const { rows } = await admin.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where application_name = $1',
      [`git-sync:${server.proc.pid}`],
    );
    expect(rows.filter((r) => r.terminated).length).toBeGreaterThan(0);
    expectOkOrRetry(await Promise.all(inFlight));

    await eventually(async () => ((await listSpaces()).status === 200 ? true : undefined), 'the API answering again');
    expect(server.proc.exitCode).toBeNull();
    expect(server.proc.signalCode).toBeNull();
    expect(
      server.logs.some((l) => l.msg === 'database connection lost; it is replaced on next use' && l.level === 40),
    ).toBe(true);
    expect((await cloneDemo('after-terminate')).code).toBe(0);
  });

  it('answers 503 with Retry-After while the database is unreachable, to the API and to git, and recovers once it is back', async () => {
    await proxy.cut();
    try {
      const refused = await listSpaces();
      expect(refused).toEqual({ status: 503, retryAfter: '1' });
      const clone = await cloneDemo('while-unreachable');
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toMatch(/\b503\b/);
      expect(clone.stderr).toMatch(/cannot reach its database/);
    } finally {
      await proxy.restore();
    }
    await eventually(async () => ((await listSpaces()).status === 200 ? true : undefined), 'the API answering again');
    expect((await cloneDemo('after-restore')).code).toBe(0);
    expect(server.proc.exitCode).toBeNull();
    // A 500 would mean a connection failure was mistaken for a bug.
    expect(server.logs.filter((l) => l.msg === 'api request failed')).toEqual([]);
  });
});
