import { request, type ClientRequest } from 'node:http';
import type Redis from 'ioredis';
import { createClient } from '../../../../packages/space-lock/test/helpers/redis-server';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { demoCredentials, makeE2eEnv, type E2eEnv } from './support/e2e-env';
import { startServer, type ServerProcess } from './support/server-process';
import { eventually, waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';

/**
 * SIGTERM while a push holds its space: new requests are told to retry (503,
 * Retry-After) while the push in flight keeps its lock, and the locks are
 * released only once the listener has stopped.
 */
describe('shutdown while a push is in flight', () => {
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let redis: Redis;
  let trickle: ClientRequest | undefined;

  beforeAll(async () => {
    // A grace longer than the test, so the in-flight push ends when the test ends it, however slow the machine.
    env = await makeE2eEnv('shutdown', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_LOCK_TTL_MS: '30000',
      GIT_SYNC_SHUTDOWN_GRACE_MS: '120000',
    });
    server = await startServer(env.serverEnv);
    demo = await demoCredentials(server, env.dataDir);
    redis = createClient(env.redisUrl);
  });

  afterAll(async () => {
    trickle?.destroy();
    await server?.stop();
    await env?.dispose();
  });

  const basic = () => `Basic ${Buffer.from(`${demo.username}:${demo.token}`).toString('base64')}`;

  it('answers new pushes 503 with Retry-After, keeps the in-flight push its lock until it ends, then exits', async () => {
    const lockKey = `${env.lockPrefix}${demo.spaceId}`;
    // A receive-pack whose body has begun but never finishes: it holds the space's lock.
    const { port } = new URL(server.baseUrl);
    let trickleDone = false;
    trickle = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/git/${demo.spaceId}.git/git-receive-pack`,
      headers: { authorization: basic(), 'content-type': 'application/x-git-receive-pack-request' },
    });
    trickle.on('error', () => undefined);
    trickle.on('response', (res) => res.resume().once('end', () => (trickleDone = true)));
    trickle.on('close', () => (trickleDone = true));
    trickle.write('00');
    await eventually(async () => ((await redis.get(lockKey)) !== null ? true : undefined), 'the push to hold the lock');

    server.proc.kill('SIGTERM');
    // Only a request that arrives after the signal is handled meets the drain; one sent earlier
    // would queue for the lock the push holds and get the busy answer instead.
    await waitFor('the server to start draining', () =>
      server.logs.some((l) => l.msg === 'shutting down: new requests get 503'),
    );
    const res = await fetch(`${server.baseUrl}/git/${demo.spaceId}.git/info/refs?service=git-receive-pack`, {
      headers: { authorization: basic() },
      signal: AbortSignal.timeout(30_000),
    });
    const refused = { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(refused.body).toMatch(/shutting down.*retry/i);
    // The push in flight still holds its space: the listener closes before any lock is released.
    expect(await redis.get(lockKey)).not.toBeNull();
    expect(server.logs.some((l) => l.msg === 'http listener closed; releasing locks')).toBe(false);
    const api = await fetch(`${server.baseUrl}/api/spaces`, { signal: AbortSignal.timeout(30_000) });
    expect(api.status).toBe(503);
    expect(api.headers.get('retry-after')).toBe('1');

    // The client gives up on its push: the server finishes it, closes the listener, releases, exits.
    trickle.destroy();
    await waitFor('the server to exit', () => server.proc.exitCode !== null || server.proc.signalCode !== null);
    expect(trickleDone).toBe(true);
    expect(await redis.get(lockKey)).toBeNull();
    const order = server.logs
      .map((l) => l.msg)
      .filter((m) => m === 'shutting down: new requests get 503' || m === 'http listener closed; releasing locks');
    expect(order).toEqual(['shutting down: new requests get 503', 'http listener closed; releasing locks']);
    expect(server.logs.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
