import { request } from 'node:http';
import type Redis from 'ioredis';
import { createClient } from '../../../../packages/space-lock/test/helpers/redis-server';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { holdSpaceLock, startDemoServer, type DemoServer, type E2eEnv } from './support/e2e-env';
import type { ServerProcess } from './support/server-process';
import { eventually, waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';

/**
 * A push whose client hangs up while it waits for its space's lock must let
 * the lock go as soon as it gets it, not hold the space until the push
 * deadline, waiting for a body that will never come.
 */
describe('a push whose client is gone by the time it gets the lock', () => {
  let suite: DemoServer;
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let redis: Redis;

  beforeAll(async () => {
    // A push deadline far beyond the test, so only noticing the hang-up can free the lock in time.
    suite = await startDemoServer('push-client-gone', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '60000',
      GIT_SYNC_PUSH_DEADLINE_MS: '600000',
      GIT_SYNC_LOCK_TTL_MS: '30000',
    });
    ({ env, server, demo } = suite);
    redis = createClient(env.redisUrl);
  });

  afterAll(async () => {
    await suite?.stop();
  });

  it('releases the space at once instead of waiting on the missing body', async () => {
    const lockKey = `${env.lockPrefix}${demo.spaceId}`;
    const held = await holdSpaceLock(env, demo.spaceId, 30_000);
    const { port } = new URL(server.baseUrl);
    const push = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/git/${demo.spaceId}.git/git-receive-pack`,
      headers: {
        authorization: `Basic ${Buffer.from(`${demo.username}:${demo.token}`).toString('base64')}`,
        'content-type': 'application/x-git-receive-pack-request',
      },
    });
    push.on('error', () => undefined);
    push.write('00');
    // The push is waiting for the lock when its client goes away.
    await eventually(
      async () => ((await redis.exists(`${env.lockPrefix}wait:${demo.spaceId}`)) === 1 ? true : undefined),
      'the push to wait for the lock',
    );
    push.destroy();
    await held.release();

    // The waiter's marker goes only when its push has run and let go, so both gone means the push is done with the space.
    await eventually(
      async () => ((await redis.exists(lockKey, `${env.lockPrefix}wait:${demo.spaceId}`)) === 0 ? true : undefined),
      'the push to take the space and let it go again',
      20_000,
    );
    await waitFor('the hang-up to be noticed', () =>
      server.logs.some((l) => l.msg === 'git http-backend failed' && l.failure === 'client-closed'),
    );
    expect(server.logs.filter((l) => l.msg === 'git http-backend failed' && l.failure !== 'client-closed')).toEqual([]);
  });
});
