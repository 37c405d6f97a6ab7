import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpaceLock } from '../../../../../packages/space-lock/src';
import {
  closeClient,
  createClient,
  deleteKeys,
  getRedisUrl,
  uniquePrefix,
} from '../../../../../packages/space-lock/test/helpers/redis-server';
import { TcpProxy } from '../../../../../packages/space-lock/test/helpers/tcp-proxy';
import type { DemoCredentials } from '../../../src/app/demo-seed';
import { privateSchema } from '../../support/postgres-schema';
import { cloneUrl } from './git-cli';
import { startServer, type ServerProcess } from './server-process';
import { eventually } from '../../../../../packages/space-lock/test/helpers/wait-for';

export type StoreName = 'pglite' | 'postgres';
export const STORES: StoreName[] = ['pglite', 'postgres'];

/**
 * What one end-to-end suite owns: a temp directory (data dir and clones), a
 * Redis key prefix, and on PostgreSQL a private schema. `dispose` removes
 * exactly those, and nothing else.
 */
export interface E2eEnv {
  tmp: string;
  dataDir: string;
  redisUrl: string;
  lockPrefix: string;
  /** Environment for a server process of this suite. */
  serverEnv: Record<string, string>;
  dispose(): Promise<void>;
}

export async function makeE2eEnv(name: string, store: StoreName, extra: Record<string, string> = {}): Promise<E2eEnv> {
  const tmp = await mkdtemp(join(tmpdir(), `git-sync-${name}-`));
  const dataDir = join(tmp, 'data');
  const redisUrl = await getRedisUrl();
  const lockPrefix = uniquePrefix(name);
  const schema = store === 'postgres' ? privateSchema('git_sync_e2e') : undefined;
  await schema?.create();
  return {
    tmp,
    dataDir,
    redisUrl,
    lockPrefix,
    serverEnv: {
      REDIS_URL: redisUrl,
      GIT_SYNC_DATA_DIR: dataDir,
      GIT_SYNC_LOCK_KEY_PREFIX: lockPrefix,
      // Under the suite's own prefix too: one suite's deliberate failures must not throttle another's clients.
      GIT_SYNC_AUTH_FAILURE_KEY_PREFIX: `${lockPrefix}auth-failures`,
      // On by default only with the embedded defaults; these suites use the demo on PostgreSQL too.
      GIT_SYNC_DEMO: 'true',
      ...(schema ? { DATABASE_URL: schema.url } : {}),
      ...extra,
    },
    async dispose() {
      const redis = createClient(redisUrl);
      try {
        await deleteKeys(redis, lockPrefix);
      } finally {
        await closeClient(redis);
      }
      await schema?.drop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** The demo space, user and token a first run creates. */
export function demoCredentials(server: ServerProcess, dataDir: string): Promise<DemoCredentials> {
  return eventually(
    () =>
      readFile(join(dataDir, 'demo-credentials.json'), 'utf8').then(
        (t) => JSON.parse(t) as DemoCredentials,
        () => undefined,
      ),
    `the demo credentials of ${server.baseUrl}`,
  );
}

/**
 * The suite's PostgreSQL behind a TCP path the test can cut and restore:
 * the server environment to start with, and the proxy. The caller stops it.
 */
async function postgresBehindProxy(env: E2eEnv): Promise<{ proxy: TcpProxy; serverEnv: Record<string, string> }> {
  const direct = new URL(env.serverEnv.DATABASE_URL);
  const proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(direct.href);
  viaProxy.port = String(proxy.port);
  return { proxy, serverEnv: { ...env.serverEnv, DATABASE_URL: viaProxy.href } };
}

/** A suite's own server on the demo space: its environment, the server, the demo credentials and the clone URL. */
export interface DemoServer {
  env: E2eEnv;
  server: ServerProcess;
  demo: DemoCredentials;
  url: string;
  /** Another server process (replica) on the same data directory, database and Redis; `stop` stops it too. */
  startReplica(): Promise<ServerProcess>;
  /** Stops every server of the suite, then removes what the suite created. */
  stop(): Promise<void>;
}

/** A demo server whose PostgreSQL sits behind a TCP path the test can cut and restore. */
export interface DemoServerBehindProxy extends DemoServer {
  proxy: TcpProxy;
}

export async function startDemoServer(
  name: string,
  store: StoreName,
  extra: Record<string, string> = {},
): Promise<DemoServer> {
  const env = await makeE2eEnv(name, store, extra);
  return launchDemoServer(env, env.serverEnv, () => env.dispose());
}

/** `startDemoServer` on PostgreSQL, reached through a TCP path the test can cut and restore (`proxy`). */
export async function startDemoServerBehindProxy(
  name: string,
  extra: Record<string, string> = {},
): Promise<DemoServerBehindProxy> {
  const env = await makeE2eEnv(name, 'postgres', extra);
  let routed: Awaited<ReturnType<typeof postgresBehindProxy>>;
  try {
    routed = await postgresBehindProxy(env);
  } catch (err) {
    await env.dispose();
    throw err;
  }
  const { proxy, serverEnv } = routed;
  const suite = await launchDemoServer(env, serverEnv, async () => {
    await proxy.stop();
    await env.dispose();
  });
  return { ...suite, proxy };
}

/** Starts the first server on `serverEnv` and waits for its demo seed; `cleanUp` runs once its servers stop. */
async function launchDemoServer(
  env: E2eEnv,
  serverEnv: Record<string, string>,
  cleanUp: () => Promise<void>,
): Promise<DemoServer> {
  const servers: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await cleanUp();
  };
  try {
    const server = await startServer(serverEnv);
    servers.push(server);
    const demo = await demoCredentials(server, env.dataDir);
    return {
      env,
      server,
      demo,
      url: cloneUrl(server.baseUrl, demo.spaceId, demo.username, demo.token),
      async startReplica() {
        // The first server seeded the demo; a replica finds it in the shared store.
        const replica = await startServer({ ...serverEnv, GIT_SYNC_DEMO: 'false' });
        servers.push(replica);
        return replica;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Another replica holding a space's lock, on the suite's Redis and key prefix, until `release`. */
export interface HeldLock {
  release(): Promise<void>;
}

export async function holdSpaceLock(env: E2eEnv, spaceId: string, ttlMs = 5_000): Promise<HeldLock> {
  const redis = createClient(env.redisUrl);
  const replica = new SpaceLock({
    redis,
    keyPrefix: env.lockPrefix,
    ttlMs,
    logger: { log() {}, warn() {}, error() {} },
  });
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let holding!: () => void;
  const isHolding = new Promise<void>((resolve) => (holding = resolve));
  // The server may be running a cycle of the space right now (a debounce, a trigger): wait it out,
  // for the hold has to be real before the caller relies on it.
  const hold = replica.withSpaceLock(
    spaceId,
    async () => {
      holding();
      await held;
    },
    { acquireRetry: { totalMs: 30_000, baseMs: 20, maxMs: 200 } },
  );
  const release = async () => {
    letGo();
    try {
      await hold;
    } finally {
      await replica.close();
      await closeClient(redis);
    }
  };
  let outcome: unknown;
  try {
    outcome = await Promise.race([isHolding.then(() => 'holding'), hold]);
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
  if (outcome !== 'holding') {
    await release();
    throw new Error(`could not hold the lock of space ${spaceId} within 30 s: ${JSON.stringify(outcome)}`);
  }
  return { release };
}
