import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MemoryLockStore, SpaceLock } from 'space-lock';
import { SpaceLockModule, SpaceLockService } from 'space-lock/nestjs';
import { GitSyncConfigModule, loadConfig } from '../../../src/config';
import {
  GitBackendService,
  GitHttpModule,
  type GitAccessDecision,
  type GitAccessPolicy,
  type GitAccessRequest,
  type GitRepositoryProvider,
} from '../../../src/git-http';
import { OrchestratorModule, type CycleRunner, type CycleStatus, type SpaceDirectory } from '../../../src/orchestrator';
import { createVault, git, gitOk, pktLine, rawRequest } from './support';
import { waitFor } from '../../../../../packages/space-lock/test/helpers/wait-for';

jest.setTimeout(60_000);

const KEY_PREFIX = 'git-http-test:lock:';
const BUSY = 'This space is busy: a sync is running. Please retry the push in a moment.';
const IDLE: CycleStatus = {
  pull: { written: 0, deleted: 0, conflicts: 0 },
  push: { created: 0, updated: 0, deleted: 0, moved: 0, renamed: 0, failures: 0, deferred: 0, heldBack: 0 },
  commits: 0,
};

/** HTTP Basic with two fixed users: alice may push, reader may only clone. */
class BasicTestPolicy implements GitAccessPolicy {
  readonly requests: GitAccessRequest[] = [];

  authorize(request: GitAccessRequest): Promise<GitAccessDecision> {
    this.requests.push(request);
    return Promise.resolve(this.decide(request));
  }

  private decide(request: GitAccessRequest): GitAccessDecision {
    const challenge = { 'www-authenticate': 'Basic realm="git-sync"' };
    const header = request.authorization;
    if (header === undefined || !header.startsWith('Basic ')) {
      return { ok: false, status: 401, headers: challenge, message: 'Authentication required.' };
    }
    const credentials = Buffer.from(header.slice(6), 'base64').toString();
    if (credentials === 'alice:secret') return { ok: true, user: 'alice' };
    if (credentials === 'reader:secret') {
      return request.service === 'upload'
        ? { ok: true, user: 'reader' }
        : { ok: false, status: 403, message: 'Read-only access.' };
    }
    return { ok: false, status: 401, headers: challenge, message: 'Bad credentials.' };
  }
}

/** Stands in for the engine: the vault is at `<dataDir>/<spaceId>`. */
class TestRepositories implements GitRepositoryProvider {
  readonly calls: string[] = [];
  constructor(
    private readonly dataDir: string,
    private readonly home: string,
  ) {}

  async ensureRepository(spaceId: string): Promise<string> {
    this.calls.push(spaceId);
    const path = join(this.dataDir, spaceId);
    if (!existsSync(path)) await createVault(this.home, path);
    return path;
  }
}

class RecordingRunner implements CycleRunner {
  readonly calls: Array<{ spaceId: string; heldByService: boolean }> = [];
  constructor(
    private readonly store: MemoryLockStore,
    private readonly instanceId: () => string,
  ) {}

  /** What each cycle does, after it is recorded. */
  behaviour: (spaceId: string, signal: AbortSignal) => Promise<CycleStatus> = () => Promise.resolve(IDLE);

  async runCycle(spaceId: string, { signal }: { signal: AbortSignal }): Promise<CycleStatus> {
    this.calls.push({ spaceId, heldByService: this.store.holder(KEY_PREFIX + spaceId) === this.instanceId() });
    return this.behaviour(spaceId, signal);
  }
}

const everySpaceEnabled: SpaceDirectory = {
  isGitSyncEnabled: () => Promise.resolve(true),
  listGitSyncEnabledSpaceIds: () => Promise.resolve([]),
};

interface Server {
  app: NestFastifyApplication;
  url: string;
  store: MemoryLockStore;
  policy: BasicTestPolicy;
  repositories: TestRepositories;
  runner: RecordingRunner;
  backend: GitBackendService;
}

let root: string;
let home: string;
let dataDir: string;
const apps: NestFastifyApplication[] = [];

async function boot(env: Record<string, string> = {}): Promise<Server> {
  const config = loadConfig({
    GIT_SYNC_DATA_DIR: dataDir,
    GIT_SYNC_POLL_INTERVAL_MS: '0',
    GIT_SYNC_PUSH_LOCK_WAIT_MS: '300',
    ...env,
  });
  const store = new MemoryLockStore();
  const policy = new BasicTestPolicy();
  const repositories = new TestRepositories(dataDir, home);
  let instanceId = '';
  const runner = new RecordingRunner(store, () => instanceId);
  const configModule = GitSyncConfigModule.forRoot({ config });
  const orchestratorModule = OrchestratorModule.forRoot({
    imports: [configModule],
    cycleRunner: { useValue: runner },
    spaceDirectory: { useValue: everySpaceEnabled },
  });
  const moduleRef = await Test.createTestingModule({
    imports: [
      configModule,
      SpaceLockModule.forRoot({ store, keyPrefix: KEY_PREFIX, ttlMs: 600, shutdownGraceMs: 1_000 }),
      orchestratorModule,
      GitHttpModule.forRoot({
        imports: [configModule, orchestratorModule],
        accessPolicy: { useValue: policy },
        repositoryProvider: { useValue: repositories },
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  instanceId = app.get(SpaceLockService).instanceId;
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    store,
    policy,
    repositories,
    runner,
    backend: app.get(GitBackendService),
  };
}

function remote(server: Server, spaceId: string, user = 'alice'): string {
  return `${server.url.replace('http://', `http://${user}:secret@`)}/git/${spaceId}.git`;
}

const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` });

async function commitFile(clone: string, name: string, content: string | Buffer): Promise<string> {
  await writeFile(join(clone, name), content);
  await gitOk(home, ['-C', clone, 'add', name]);
  await gitOk(home, ['-C', clone, 'commit', '-q', '-m', `Edit ${name}`]);
  return gitOk(home, ['-C', clone, 'rev-parse', 'HEAD']);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'git-http-spec-'));
  home = join(root, 'home');
  dataDir = join(root, 'data');
  await mkdir(home, { recursive: true });
  await mkdir(dataDir, { recursive: true });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await rm(root, { recursive: true, force: true });
});

describe('git smart HTTP with the real git client', () => {
  it('clones, then a push is accepted, advances main in the vault, and is followed by a cycle under the lock', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone');
    await gitOk(home, ['-c', 'protocol.version=0', 'clone', '-q', remote(server, spaceId), clone]);
    expect(await readFile(join(clone, 'README.md'), 'utf8')).toBe('# Space\n');

    const head = await commitFile(clone, 'page.md', '# A page\n');
    const push = await git(home, ['-C', clone, 'push', 'origin', 'main']);
    expect(push.code).toBe(0);

    const vault = join(dataDir, spaceId);
    expect(await gitOk(home, ['-C', vault, 'rev-parse', 'main'])).toBe(head);
    // updateInstead checked the pushed commit out in the vault's working tree.
    expect(await readFile(join(vault, 'page.md'), 'utf8')).toBe('# A page\n');
    expect(server.runner.calls).toEqual([{ spaceId, heldByService: true }]);
    expect(server.store.holder(KEY_PREFIX + spaceId)).toBeUndefined();
  });

  it('serves protocol v2 (Git-Protocol header) for a clone', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone-v2');
    const traced = await git(home, ['-c', 'protocol.version=2', 'clone', remote(server, spaceId), clone], {
      env: { GIT_TRACE_PACKET: '1' },
    });
    expect(traced.code).toBe(0);
    expect(traced.stderr).toMatch(/git< version 2/);
    expect(traced.stderr).toMatch(/clone> command=fetch/);
    expect(await readFile(join(clone, 'README.md'), 'utf8')).toBe('# Space\n');
  });

  it('streams a push larger than any request body limit', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone-big');
    await gitOk(home, ['clone', '-q', remote(server, spaceId), clone]);
    const head = await commitFile(clone, 'blob.bin', randomBytes(3 * 1024 * 1024));
    const push = await git(home, ['-C', clone, 'push', 'origin', 'main']);
    expect(push.code).toBe(0);
    expect(await gitOk(home, ['-C', join(dataDir, spaceId), 'rev-parse', 'main'])).toBe(head);
  });

  it('refuses a push with 503 while the lock is held, git shows why, and the retried push succeeds', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone-busy');
    await gitOk(home, ['clone', '-q', remote(server, spaceId), clone]);
    const before = await gitOk(home, ['-C', join(dataDir, spaceId), 'rev-parse', 'main']);
    const head = await commitFile(clone, 'busy.md', '# Busy\n');

    // Another replica on the same store runs a cycle for the whole attempt.
    const otherReplica = new SpaceLock({ store: server.store, keyPrefix: KEY_PREFIX, ttlMs: 5_000 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const hold = otherReplica.withSpaceLock(spaceId, async () => {
      holding();
      await released;
    });
    await held;
    try {
      const refused = await git(home, ['-C', clone, 'push', 'origin', 'main']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(BUSY);
      expect(refused.stderr).toContain('503');

      // The pack exchange itself is refused the same way, before receive-pack runs.
      const serve = jest.spyOn(server.backend, 'serve');
      const direct = await rawRequest(server.url, {
        method: 'POST',
        path: `/git/${spaceId}.git/git-receive-pack`,
        headers: { ...basic('alice'), 'content-type': 'application/x-git-receive-pack-request' },
        body: Buffer.from('0000'),
      });
      expect(direct.status).toBe(503);
      expect(direct.headers['retry-after']).toBe('1');
      expect(direct.headers['content-type']).toMatch(/^text\/plain/);
      expect(direct.body.toString()).toContain(BUSY);
      expect(serve).not.toHaveBeenCalled();
      serve.mockRestore();
    } finally {
      release();
      await hold;
      await otherReplica.close();
    }
    expect(await gitOk(home, ['-C', join(dataDir, spaceId), 'rev-parse', 'main'])).toBe(before);
    expect(server.runner.calls).toEqual([]);

    const retried = await git(home, ['-C', clone, 'push', 'origin', 'main']);
    expect(retried.code).toBe(0);
    expect(await gitOk(home, ['-C', join(dataDir, spaceId), 'rev-parse', 'main'])).toBe(head);
    expect(server.runner.calls).toEqual([{ spaceId, heldByService: true }]);
  });

  it('inflates a gzip request body (Content-Encoding: gzip)', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    await server.repositories.ensureRepository(spaceId);
    const body = gzipSync(
      Buffer.from(pktLine('command=ls-refs\n') + '0001' + pktLine('ref-prefix refs/heads/\n') + '0000'),
    );
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: `/git/${spaceId}.git/git-upload-pack`,
      headers: {
        ...basic('alice'),
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
        'content-length': body.length,
        'git-protocol': 'version=2',
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-git-upload-pack-result');
    expect(res.body.toString()).toMatch(/[0-9a-f]{40} refs\/heads\/main/);
  });

  it('passes the access policy decision on, before anything is spawned', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const serve = jest.spyOn(server.backend, 'serve');

    const anonymous = await rawRequest(server.url, { path: `/git/${spaceId}.git/info/refs?service=git-upload-pack` });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="git-sync"');

    const readerPush = await rawRequest(server.url, {
      path: `/git/${spaceId}.git/info/refs?service=git-receive-pack`,
      headers: basic('reader'),
    });
    expect(readerPush.status).toBe(403);
    expect(serve).not.toHaveBeenCalled();
    expect(server.repositories.calls).toEqual([]);
    expect(server.policy.requests.map((r) => [r.spaceId, r.service, r.remoteAddress])).toEqual([
      [spaceId, 'upload', '127.0.0.1'],
      [spaceId, 'receive', '127.0.0.1'],
    ]);

    const clone = await git(home, ['clone', '-q', `${server.url}/git/${spaceId}.git`, join(root, 'anon')]);
    expect(clone.code).not.toBe(0);
  });

  it('refuses bad paths with 400 (405 for a wrong method) without consulting anyone or spawning', async () => {
    const server = await boot();
    const id = randomUUID();
    const serve = jest.spyOn(server.backend, 'serve');
    const q = '?service=git-upload-pack';
    const cases: Array<[string, string, number]> = [
      ['GET', `/git/../${id}.git/info/refs${q}`, 400],
      ['GET', `/git/${id}.git/../../etc/info/refs${q}`, 400],
      ['GET', `/git/${id}.git/info/refs?service=../../git-upload-pack`, 400],
      ['GET', `/git/%2e%2e/${id}.git/info/refs${q}`, 400],
      ['GET', `/git/%2E%2E%2F${id}.git/info/refs${q}`, 400],
      ['GET', `/git/${id}%2f.git/info/refs${q}`, 400],
      ['GET', `/git/${id}.git%2Finfo%2Frefs${q}`, 400],
      ['GET', `/git/${id}%5c.git/info/refs${q}`, 400],
      ['GET', `/git/${id}%5C..%5C.git/info/refs${q}`, 400],
      ['GET', `/git/${id.slice(0, -1)}%61.git/info/refs${q}`, 400],
      ['GET', `/git/not-a-uuid.git/info/refs${q}`, 400],
      ['GET', `/git/${id}x.git/info/refs${q}`, 400],
      ['GET', `/git/${id}/info/refs${q}`, 400],
      ['GET', `/git/${id}.git/info/refs`, 400],
      ['GET', `/git/${id}.git/info/refs?service=git-upload-archive`, 400],
      ['GET', `/git/${id}.git/HEAD`, 400],
      ['GET', `/git/${id}.git/objects/info/packs`, 400],
      ['POST', `/git/${id}.git/git-upload-archive`, 400],
      ['GET', `/git/${id}.git/git-upload-pack`, 405],
      ['POST', `/git/${id}.git/info/refs${q}`, 405],
    ];
    for (const [method, path, status] of cases) {
      const res = await rawRequest(server.url, {
        method,
        path,
        headers: {
          ...basic('alice'),
          ...(method === 'POST' ? { 'content-type': 'application/x-git-upload-pack-request' } : {}),
        },
        body: method === 'POST' ? Buffer.from('0000') : undefined,
      });
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
      expect(res.body.toString()).toMatch(/^Refused: /);
    }
    expect(serve).not.toHaveBeenCalled();
    expect(server.policy.requests).toEqual([]);
    expect(server.repositories.calls).toEqual([]);
  });
});

describe('git backend failures', () => {
  it('kills a backend stuck on a request body that never ends, and answers 504', async () => {
    const server = await boot({ GIT_SYNC_BACKEND_TIMEOUT_MS: '300' });
    const spaceId = randomUUID();
    await server.repositories.ensureRepository(spaceId);
    const serve = jest.spyOn(server.backend, 'serve');
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: `/git/${spaceId}.git/git-upload-pack`,
      headers: { ...basic('alice'), 'content-type': 'application/x-git-upload-pack-request', 'content-length': 1000 },
      body: Buffer.from(pktLine('want ')),
      keepOpen: true,
    });
    expect(res.status).toBe(504);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body.toString()).toContain('timed out');
    // serve settles only once the killed process has exited.
    await expect(serve.mock.results[0]?.value).resolves.toMatchObject({ failure: 'timeout', status: 504 });
  });

  it('kills receive-pack when the lock is lost under it, answers 503, and runs no cycle', async () => {
    const server = await boot({ GIT_SYNC_BACKEND_TIMEOUT_MS: '30000' });
    const spaceId = randomUUID();
    await server.repositories.ensureRepository(spaceId);
    const serve = jest.spyOn(server.backend, 'serve');
    const instanceId = server.app.get(SpaceLockService).instanceId;
    const response = rawRequest(server.url, {
      method: 'POST',
      path: `/git/${spaceId}.git/git-receive-pack`,
      headers: { ...basic('alice'), 'content-type': 'application/x-git-receive-pack-request', 'content-length': 1000 },
      body: Buffer.from('00'),
      keepOpen: true,
    });
    await waitFor('receive-pack to be served', () => serve.mock.calls.length === 1);
    // The key expires and another holder takes it: the next heartbeat finds it gone.
    await server.store.release(KEY_PREFIX + spaceId, instanceId);
    await server.store.acquire(KEY_PREFIX + spaceId, 'another-replica', 60_000);
    const res = await response;
    expect(res.status).toBe(503);
    await expect(serve.mock.results[0]?.value).resolves.toMatchObject({ failure: 'aborted' });
    expect(server.runner.calls).toEqual([]);
  });
});

describe('push outcomes when the lock is lost', () => {
  /** Another replica takes the space: the key is released under the holder and taken, as after an expiry. */
  async function stealLock(server: Server, spaceId: string): Promise<void> {
    await server.store.release(KEY_PREFIX + spaceId, server.app.get(SpaceLockService).instanceId);
    await server.store.acquire(KEY_PREFIX + spaceId, 'another-replica', 60_000);
  }

  it("a push whose receive-pack finished gets git's own success report even when the cycle after it is aborted", async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone-landed');
    await gitOk(home, ['clone', '-q', remote(server, spaceId), clone]);
    const head = await commitFile(clone, 'landed.md', '# Landed\n');
    server.runner.behaviour = async (id, signal) => {
      await stealLock(server, id);
      await waitFor('the cycle to be aborted', () => signal.aborted);
      throw new Error('cycle aborted: lock lost');
    };
    const push = await git(home, ['-C', clone, 'push', 'origin', 'main']);
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('main -> main');
    expect(push.stderr).not.toMatch(/error|fatal|rejected/i);
    expect(await gitOk(home, ['-C', join(dataDir, spaceId), 'rev-parse', 'main'])).toBe(head);
    expect(server.runner.calls).toHaveLength(1);
  });

  it('a receive-pack cut off by a lost lock before it finished leaves main where it was', async () => {
    const server = await boot();
    const spaceId = randomUUID();
    const clone = join(root, 'clone-cut');
    await gitOk(home, ['clone', '-q', remote(server, spaceId), clone]);
    const vault = join(dataDir, spaceId);
    const before = await gitOk(home, ['-C', vault, 'rev-parse', 'main']);
    // Holds receive-pack inside its checks, after the pack arrived and before any ref moves.
    const started = join(root, 'hook-started');
    const release = join(root, 'hook-release');
    await writeFile(
      join(vault, '.git', 'hooks', 'pre-receive'),
      `#!/bin/sh\ncat >/dev/null\ntouch '${started}'\ni=0\nwhile [ ! -f '${release}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\nexit 0\n`,
      { mode: 0o755 },
    );
    await commitFile(clone, 'cut.md', '# Cut\n');
    const pushing = git(home, ['-C', clone, 'push', 'origin', 'main']);
    try {
      await waitFor('the pre-receive hook to start', () => existsSync(started));
      await stealLock(server, spaceId);
      const push = await pushing;
      expect(push.code).not.toBe(0);
    } finally {
      await writeFile(release, '');
      await pushing;
    }
    expect(await gitOk(home, ['-C', vault, 'rev-parse', 'main'])).toBe(before);
    expect(server.runner.calls).toEqual([]);
  });
});
