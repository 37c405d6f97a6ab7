import { rename } from 'node:fs/promises';
import { startRedisServer, type DisposableRedis } from '../../../../packages/space-lock/test/helpers/redis-server';
import type { TcpProxy } from '../../../../packages/space-lock/test/helpers/tcp-proxy';
import { startDemoServerBehindProxy, type DemoServerBehindProxy, type E2eEnv } from './support/e2e-env';
import type { ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

interface Ready {
  status: 'ok' | 'error';
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

/**
 * Liveness and readiness against the running server, on PostgreSQL (behind
 * a TCP path the test can cut) and a Redis of the test's own (which it stops).
 */
describe('health probes', () => {
  let suite: DemoServerBehindProxy;
  let env: E2eEnv;
  let server: ServerProcess;
  let proxy: TcpProxy;
  let redis: DisposableRedis;

  beforeAll(async () => {
    redis = await startRedisServer();
    // No cycle runs during the suite (no poll, a debounce longer than the suite): only the probes touch the data directory.
    // It returns once first-run seeding is done, before the database goes away under it.
    suite = await startDemoServerBehindProxy('health', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '600000',
      REDIS_URL: redis.url,
    });
    ({ env, server, proxy } = suite);
  });

  afterAll(async () => {
    await suite?.stop();
    await redis?.stop();
  });

  const probe = async (path: string) => {
    const res = await fetch(`${server.baseUrl}${path}`, { signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Ready };
  };
  const readyWith = (status: number, down: string[]) =>
    eventually(
      async () => {
        const res = await probe('/health/ready');
        return res.status === status &&
          Object.keys(res.body.error ?? {})
            .sort()
            .join() === down.sort().join()
          ? res
          : undefined;
      },
      `readiness ${status} with [${down.join(', ')}] down`,
    );

  /** Nothing of the configuration is in a probe's answer: no URL, port, user or path. */
  const expectNoConfiguration = (text: string) => {
    for (const secret of [
      env.dataDir,
      String(proxy.port),
      String(redis.port),
      'postgres://',
      'redis://',
      'search_path',
    ]) {
      expect(text).not.toContain(secret);
    }
  };

  it('is live and ready when every dependency answers, without credentials', async () => {
    expect(await probe('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await probe('/health/ready');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.info ?? {}).sort()).toEqual(['dataDir', 'database', 'git', 'redis']);
    expectNoConfiguration(ready.text);
  });

  it('is unready, naming the database, while PostgreSQL is unreachable; still live', async () => {
    await proxy.cut();
    try {
      const down = await readyWith(503, ['database']);
      expect(down.body.error?.database).toEqual({ status: 'down', message: 'database is not answering' });
      expectNoConfiguration(down.text);
      expect((await probe('/health/live')).status).toBe(200);
    } finally {
      await proxy.restore();
    }
    await readyWith(200, []);
  });

  it('is unready, naming Redis, while Redis is down; ready again once it is back', async () => {
    await redis.stop();
    try {
      const down = await readyWith(503, ['redis']);
      expectNoConfiguration(down.text);
      expect((await probe('/health/live')).status).toBe(200);
    } finally {
      await redis.restart();
    }
    await readyWith(200, []);
  });

  it('is unready, naming the data directory, while it is missing', async () => {
    // Permission bits would not do: the suite may run as root, which they do not stop.
    await rename(env.dataDir, `${env.dataDir}.away`);
    try {
      const down = await readyWith(503, ['dataDir']);
      expectNoConfiguration(down.text);
    } finally {
      await rename(`${env.dataDir}.away`, env.dataDir);
    }
    await readyWith(200, []);
  });
});
