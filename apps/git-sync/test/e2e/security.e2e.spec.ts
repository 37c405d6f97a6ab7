import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { ApiModule } from '../../src/api/api.module';
import { declaredRoutes } from '../../src/api/openapi/openapi-document';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { demoCredentials, makeE2eEnv, type E2eEnv } from './support/e2e-env';
import { cloneUrl, GitCli, writeFileIn } from './support/git-cli';
import { basicAuth, bearerAuth, rawRequest, type RawResponse } from './support/http-request';
import { startServer, type ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';
import type { ErrorBody } from '../support/api-bodies';
import { anyString } from '../support/matchers';

const MAX_FAILURES = 5;
const MAX_ADDRESS_FAILURES = 40;

type Failing = 'none' | 'bad' | 'revoked' | 'expired';
type Member = 'outsider' | 'reader' | 'writer' | 'admin';
type Caller = Failing | Member;
const FAILING: Failing[] = ['none', 'bad', 'revoked', 'expired'];
const MEMBERS: Member[] = ['outsider', 'reader', 'writer', 'admin'];
const CALLERS: Caller[] = [...FAILING, ...MEMBERS];

interface Identity {
  /** The user a request speaks for; failing callers borrow the reader's. */
  userId: string;
  username: string;
  token: string | undefined;
  /** A loopback source address of its own, so each caller's failures are counted apart. */
  address: string;
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

interface Route {
  /** `METHOD /path` as the controllers declare it. */
  name: string;
  /** Builds the call for one caller, creating (as the admin) whatever the call consumes, then async. */
  call(who: Identity): Call | Promise<Call>;
  /** What each authenticated caller gets; every failing caller gets 401. */
  expect: Record<Member, number>;
  git?: boolean;
}

const id = () => randomBytes(4).toString('hex');

/** `METHOD /path` of every handler the API module's controllers declare, read from Nest's own metadata. */
function declaredApiRoutes(): string[] {
  const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) ?? []) as Type<unknown>[];
  return declaredRoutes(controllers).map((route) => `${route.method} ${route.path}`);
}

/**
 * The running server (`node dist/main.js`) attacked over HTTP: every route
 * under /api and the git host, for every kind of caller; cross-site posts;
 * DNS rebinding; credential guessing from other addresses; and, at
 * LOG_LEVEL=trace, the whole log searched for every token used.
 */
describe('git-sync security end to end', () => {
  let env: E2eEnv;
  let server: ServerProcess;
  let demo: DemoCredentials;
  let git: GitCli;
  let spaceId: string;
  let pageId: string;
  let throwawayId: string;
  const who = {} as Record<Caller, Identity>;
  /** Every secret that crossed the wire, with the username it was sent for. */
  const secrets: { username: string; token: string }[] = [];

  const admin = <T = unknown>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const created = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await admin<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  async function newUser(prefix: string): Promise<{ id: string; username: string; token: string }> {
    const user = await created<{ id: string; username: string }>('POST', '/api/users', {
      username: `${prefix}-${id()}`,
    });
    const { token } = await created<{ token: string }>('POST', `/api/users/${user.id}/tokens`, { name: 'laptop' });
    secrets.push({ username: user.username, token });
    return { ...user, token };
  }

  function send(
    identity: Identity,
    call: Call,
    headers: Record<string, string> = {},
    git = false,
  ): Promise<RawResponse> {
    const auth: Record<string, string> =
      identity.token === undefined
        ? {}
        : { authorization: git ? basicAuth(identity.username, identity.token) : bearerAuth(identity.token) };
    return rawRequest(server.baseUrl + call.path, {
      method: call.method,
      localAddress: identity.address,
      headers: { ...(call.body === undefined ? {} : { 'content-type': 'application/json' }), ...auth, ...headers },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
  }

  beforeAll(async () => {
    env = await makeE2eEnv('security', 'pglite', {
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEBOUNCE_MS: '60000',
      GIT_SYNC_AUTH_MAX_FAILURES: String(MAX_FAILURES),
      GIT_SYNC_AUTH_MAX_ADDRESS_FAILURES: String(MAX_ADDRESS_FAILURES),
      // 127.0.0.1 stands for a reverse proxy: only its X-Forwarded-For is believed.
      GIT_SYNC_TRUST_PROXY: '127.0.0.1',
    });
    server = await startServer({ ...env.serverEnv, LOG_LEVEL: 'trace' });
    demo = await demoCredentials(server, env.dataDir);
    secrets.push({ username: demo.username, token: demo.token }, { username: 'admin', token: server.adminToken });
    git = new GitCli(env.tmp);
    await mkdir(join(env.tmp, 'clones'), { recursive: true });

    spaceId = (await created<{ id: string }>('POST', '/api/spaces', { name: 'Matrix', gitSyncEnabled: true })).id;
    pageId = (await created<{ id: string }>('POST', `/api/spaces/${spaceId}/pages`, { title: 'Home', content: 'hi' }))
      .id;
    const [outsider, reader, writer, throwaway] = [
      await newUser('outsider'),
      await newUser('reader'),
      await newUser('writer'),
      await newUser('throwaway'),
    ];
    throwawayId = throwaway.id;
    await created('PUT', `/api/spaces/${spaceId}/members/${reader.id}`, { role: 'read' });
    await created('PUT', `/api/spaces/${spaceId}/members/${writer.id}`, { role: 'write' });
    const me = await created<{ id: string; username: string }>('GET', '/api/users/me');

    const revoked = await created<{ id: string; token: string }>('POST', `/api/users/${reader.id}/tokens`, {
      name: 'revoked',
    });
    expect((await admin('DELETE', `/api/users/${reader.id}/tokens/${revoked.id}`)).status).toBe(204);
    // Far enough ahead that a slow request still issues it; the poll below waits out the rest.
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const expired = await created<{ token: string }>('POST', `/api/users/${reader.id}/tokens`, {
      name: 'expiring',
      expiresAt,
    });
    const bad = `gst_${randomBytes(32).toString('base64url')}`;
    secrets.push(...[revoked.token, expired.token, bad].map((token) => ({ username: reader.username, token })));

    const as = (user: { id: string; username: string }, token: string | undefined, n: number): Identity => ({
      userId: user.id,
      username: user.username,
      token,
      address: `127.0.1.${n}`,
    });
    Object.assign(who, {
      none: as(reader, undefined, 1),
      bad: as(reader, bad, 2),
      revoked: as(reader, revoked.token, 3),
      expired: as(reader, expired.token, 4),
      outsider: as(outsider, outsider.token, 5),
      reader: as(reader, reader.token, 6),
      writer: as(writer, writer.token, 7),
      admin: as(me, server.adminToken, 8),
    });
    // Polled, not slept: the expiry is the server's clock's business.
    await eventually(
      async () =>
        (await send(who.expired, { method: 'GET', path: '/api/users/me' })).status === 401 ? true : undefined,
      'the expiring token to expire',
    );
  });

  afterAll(async () => {
    await server?.stop();
    await env?.dispose();
  });

  const adminOnly = { outsider: 403, reader: 403, writer: 403, admin: 200 };
  const routes: Route[] = [
    // spaces
    {
      name: 'POST /api/spaces',
      call: () => ({ method: 'POST', path: '/api/spaces', body: { name: `S ${id()}` } }),
      expect: { ...adminOnly, admin: 201 },
    },
    {
      name: 'GET /api/spaces',
      call: () => ({ method: 'GET', path: '/api/spaces' }),
      expect: { outsider: 200, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'GET /api/spaces/:spaceId',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'PUT /api/spaces/:spaceId/git-sync',
      call: () => ({ method: 'PUT', path: `/api/spaces/${spaceId}/git-sync`, body: { enabled: true } }),
      expect: adminOnly,
    },
    {
      name: 'DELETE /api/spaces/:spaceId',
      call: async () => ({
        method: 'DELETE',
        path: `/api/spaces/${(await created<{ id: string }>('POST', '/api/spaces', { name: `Gone ${id()}` })).id}`,
      }),
      expect: { ...adminOnly, admin: 204 },
    },
    {
      name: 'POST /api/spaces/:spaceId/restore',
      call: async () => {
        const space = await created<{ id: string }>('POST', '/api/spaces', { name: `Back ${id()}` });
        await created('DELETE', `/api/spaces/${space.id}`);
        return { method: 'POST', path: `/api/spaces/${space.id}/restore` };
      },
      expect: adminOnly,
    },
    // pages
    {
      name: 'GET /api/spaces/:spaceId/pages',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}/pages` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'POST /api/spaces/:spaceId/pages',
      call: () => ({ method: 'POST', path: `/api/spaces/${spaceId}/pages`, body: { title: `P ${id()}` } }),
      expect: { outsider: 404, reader: 403, writer: 201, admin: 201 },
    },
    {
      name: 'GET /api/spaces/:spaceId/pages/:pageId',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}/pages/${pageId}` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'PATCH /api/spaces/:spaceId/pages/:pageId',
      call: () => ({
        method: 'PATCH',
        path: `/api/spaces/${spaceId}/pages/${pageId}`,
        body: { content: `edit ${id()}` },
      }),
      expect: { outsider: 404, reader: 403, writer: 200, admin: 200 },
    },
    {
      name: 'POST /api/spaces/:spaceId/pages/:pageId/move',
      call: () => ({
        method: 'POST',
        path: `/api/spaces/${spaceId}/pages/${pageId}/move`,
        body: { parentPageId: null },
      }),
      expect: { outsider: 404, reader: 403, writer: 200, admin: 200 },
    },
    {
      name: 'DELETE /api/spaces/:spaceId/pages/:pageId',
      call: async () => {
        const page = await created<{ id: string }>('POST', `/api/spaces/${spaceId}/pages`, { title: `Doomed ${id()}` });
        return { method: 'DELETE', path: `/api/spaces/${spaceId}/pages/${page.id}` };
      },
      expect: { outsider: 404, reader: 403, writer: 204, admin: 204 },
    },
    {
      name: 'GET /api/spaces/:spaceId/pages (deleted)',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}/pages?deleted=true` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'POST /api/spaces/:spaceId/pages/:pageId/restore',
      call: async () => {
        const page = await created<{ id: string }>('POST', `/api/spaces/${spaceId}/pages`, { title: `Undone ${id()}` });
        await created('DELETE', `/api/spaces/${spaceId}/pages/${page.id}`);
        return { method: 'POST', path: `/api/spaces/${spaceId}/pages/${page.id}/restore` };
      },
      expect: { outsider: 404, reader: 403, writer: 200, admin: 200 },
    },
    // conflicts: as private as the pages they quote; no conflict exists, so a permitted dismiss finds nothing
    {
      name: 'GET /api/spaces/:spaceId/conflicts',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}/conflicts` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'POST /api/spaces/:spaceId/conflicts/:conflictId/dismiss',
      call: () => ({ method: 'POST', path: `/api/spaces/${spaceId}/conflicts/${randomUUID()}/dismiss` }),
      expect: { outsider: 404, reader: 403, writer: 404, admin: 404 },
    },
    // users
    {
      name: 'POST /api/users',
      call: () => ({ method: 'POST', path: '/api/users', body: { username: `u-${id()}` } }),
      expect: { ...adminOnly, admin: 201 },
    },
    { name: 'GET /api/users', call: () => ({ method: 'GET', path: '/api/users' }), expect: adminOnly },
    {
      name: 'GET /api/users/me',
      call: () => ({ method: 'GET', path: '/api/users/me' }),
      expect: { outsider: 200, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: 'PATCH /api/users/:userId',
      call: () => ({ method: 'PATCH', path: `/api/users/${throwawayId}`, body: { admin: false } }),
      expect: adminOnly,
    },
    {
      name: 'DELETE /api/users/:userId',
      call: async () => ({
        method: 'DELETE',
        path: `/api/users/${(await created<{ id: string }>('POST', '/api/users', { username: `gone-${id()}` })).id}`,
      }),
      expect: { ...adminOnly, admin: 204 },
    },
    // tokens
    {
      name: 'POST /api/users/:userId/tokens',
      call: () => ({ method: 'POST', path: `/api/users/${throwawayId}/tokens`, body: { name: 'ci' } }),
      expect: { ...adminOnly, admin: 201 },
    },
    {
      name: 'GET /api/users/:userId/tokens (own)',
      call: (w) => ({ method: 'GET', path: `/api/users/${w.userId}/tokens` }),
      expect: { outsider: 200, reader: 200, writer: 200, admin: 200 },
    },
    {
      name: "GET /api/users/:userId/tokens (another user's)",
      call: () => ({ method: 'GET', path: `/api/users/${throwawayId}/tokens` }),
      expect: adminOnly,
    },
    {
      name: 'DELETE /api/users/:userId/tokens/:tokenId (own)',
      call: async (w) => {
        const token = await created<{ id: string }>('POST', `/api/users/${w.userId}/tokens`, { name: 'spare' });
        return { method: 'DELETE', path: `/api/users/${w.userId}/tokens/${token.id}` };
      },
      expect: { outsider: 204, reader: 204, writer: 204, admin: 204 },
    },
    {
      name: "DELETE /api/users/:userId/tokens/:tokenId (another user's)",
      call: async () => {
        const token = await created<{ id: string }>('POST', `/api/users/${throwawayId}/tokens`, { name: 'spare' });
        return { method: 'DELETE', path: `/api/users/${throwawayId}/tokens/${token.id}` };
      },
      expect: { ...adminOnly, admin: 204 },
    },
    // members
    {
      name: 'GET /api/spaces/:spaceId/members',
      call: () => ({ method: 'GET', path: `/api/spaces/${spaceId}/members` }),
      expect: adminOnly,
    },
    {
      name: 'PUT /api/spaces/:spaceId/members/:userId',
      call: () => ({
        method: 'PUT',
        path: `/api/spaces/${spaceId}/members/${throwawayId}`,
        body: { role: 'read' },
      }),
      expect: adminOnly,
    },
    {
      name: 'DELETE /api/spaces/:spaceId/members/:userId',
      call: async () => {
        const user = await created<{ id: string }>('POST', '/api/users', { username: `m-${id()}` });
        await created('PUT', `/api/spaces/${spaceId}/members/${user.id}`, { role: 'read' });
        return { method: 'DELETE', path: `/api/spaces/${spaceId}/members/${user.id}` };
      },
      expect: { ...adminOnly, admin: 204 },
    },
    // git-sync
    {
      name: 'POST /api/git-sync/trigger',
      call: () => ({ method: 'POST', path: '/api/git-sync/trigger', body: { spaceId } }),
      expect: adminOnly,
    },
    {
      name: 'GET /api/git-sync/status',
      call: () => ({ method: 'GET', path: '/api/git-sync/status' }),
      expect: adminOnly,
    },
    // the git host (HTTP Basic)
    {
      name: 'GET /git/:spaceId.git/info/refs?service=git-upload-pack',
      call: () => ({ method: 'GET', path: `/git/${spaceId}.git/info/refs?service=git-upload-pack` }),
      expect: { outsider: 404, reader: 200, writer: 200, admin: 200 },
      git: true,
    },
    {
      name: 'GET /git/:spaceId.git/info/refs?service=git-receive-pack',
      call: () => ({ method: 'GET', path: `/git/${spaceId}.git/info/refs?service=git-receive-pack` }),
      expect: { outsider: 404, reader: 403, writer: 200, admin: 200 },
      git: true,
    },
  ];

  it('has a matrix row for every API route the controllers declare', () => {
    const covered = new Set(routes.map((r) => r.name.replace(/ \(.*\)$/, '')));
    const declared = declaredApiRoutes();
    expect(declared.length).toBeGreaterThanOrEqual(23);
    expect(declared.filter((route) => !covered.has(route))).toEqual([]);
  });

  it('answers the auth matrix for every route: 401 without a usable token, then 403/404 by role', async () => {
    const expected: Record<string, Record<Caller, number>> = {};
    const actual: Record<string, Record<Caller, number>> = {};
    const challenges = new Set<string>();
    for (const route of routes) {
      expected[route.name] = { none: 401, bad: 401, revoked: 401, expired: 401, ...route.expect };
      actual[route.name] = {} as Record<Caller, number>;
      for (const caller of CALLERS) {
        const res = await send(who[caller], await route.call(who[caller]), {}, route.git);
        actual[route.name][caller] = res.status;
        if (res.status === 401)
          challenges.add(`${route.git ? 'git' : 'api'} ${String(res.headers['www-authenticate']).split(' ')[0]}`);
      }
    }
    // One comparison, so a failure shows the whole table.
    expect(actual).toEqual(expected);
    expect([...challenges].sort()).toEqual(['api Bearer', 'git Basic']);
  });

  it('the first-run demo user is an admin, its credentials file is 0600, and the banner shows the API with a Bearer token', async () => {
    const me = await server.api<{ username: string; admin: boolean }>('GET', '/api/users/me', undefined, {
      token: demo.token,
    });
    expect(me).toMatchObject({ status: 200, body: { username: 'demo', admin: true } });
    expect((await stat(join(env.dataDir, 'demo-credentials.json'))).mode & 0o777).toBe(0o600);
    const banner = server.stdout.join('\n');
    expect(banner).toContain(`curl -H 'Authorization: Bearer ${demo.token}' ${server.baseUrl}/api/git-sync/status`);
    expect(banner).toContain(`git clone http://demo:${demo.token}@`);
  });

  it('a member lists only their spaces; an unknown space and a foreign one get the same 404', async () => {
    const list = async (caller: Member) =>
      JSON.parse((await send(who[caller], { method: 'GET', path: '/api/spaces' })).text) as { id: string }[];
    expect((await list('reader')).map((s) => s.id)).toEqual([spaceId]);
    expect(await list('outsider')).toEqual([]);
    expect((await list('admin')).map((s) => s.id)).toContain(spaceId);
    const foreign = await send(who.outsider, { method: 'GET', path: `/api/spaces/${spaceId}` });
    const unknown = await send(who.outsider, {
      method: 'GET',
      path: '/api/spaces/00000000-0000-4000-8000-000000000000',
    });
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    const message = (res: RawResponse) => (JSON.parse(res.text) as ErrorBody).message;
    expect(message(foreign).replace(spaceId, 'X')).toBe(
      message(unknown).replace('00000000-0000-4000-8000-000000000000', 'X'),
    );
  });

  it('lists tokens without their secrets, and deleting a user revokes their tokens', async () => {
    const user = await newUser('leaving');
    const tokens = await created<Record<string, unknown>[]>('GET', `/api/users/${user.id}/tokens`);
    expect(tokens).toEqual([
      { id: anyString(), name: 'laptop', createdAt: anyString(), lastUsedAt: null, expiresAt: null },
    ]);
    expect(JSON.stringify(tokens)).not.toContain(user.token);
    const self = { userId: user.id, username: user.username, token: user.token, address: '127.0.2.1' };
    expect((await send(self, { method: 'GET', path: '/api/users/me' })).status).toBe(200);
    expect(
      (await created<{ lastUsedAt: string | null }[]>('GET', `/api/users/${user.id}/tokens`))[0].lastUsedAt,
    ).not.toBeNull();
    expect((await admin('DELETE', `/api/users/${user.id}`)).status).toBe(204);
    expect((await send(self, { method: 'GET', path: '/api/users/me' })).status).toBe(401);
    expect((await admin('GET', `/api/users/${user.id}/tokens`)).status).toBe(404);
  });

  it('refuses cross-site posts: a form and a text/plain body get 415 and write nothing, even with a token', async () => {
    const post = (path: string, type: string, body: string, token: string | undefined = server.adminToken) =>
      rawRequest(server.baseUrl + path, {
        method: 'POST',
        headers: {
          'content-type': type,
          origin: 'https://attacker.example',
          ...(token ? { authorization: bearerAuth(token) } : {}),
        },
        body,
      });
    expect((await post('/api/users', 'application/x-www-form-urlencoded', 'username=csrf-form')).status).toBe(415);
    expect(
      (await post('/api/users', 'application/x-www-form-urlencoded', 'username=csrf-anon', undefined)).status,
    ).toBe(415);
    expect((await post('/api/spaces', 'text/plain', JSON.stringify({ name: 'csrf-text' }))).status).toBe(415);
    expect(
      (await post('/api/spaces', 'multipart/form-data; boundary=x', '--x\r\n\r\nname=csrf-multipart\r\n--x--')).status,
    ).toBe(415);
    const users = await created<{ username: string }[]>('GET', '/api/users');
    expect(users.map((u) => u.username)).not.toContain('csrf-form');
    expect(users.map((u) => u.username)).not.toContain('csrf-anon');
    const spaces = await created<{ name: string }[]>('GET', '/api/spaces');
    expect(spaces.map((s) => s.name).filter((n) => n.startsWith('csrf'))).toEqual([]);

    // And no CORS: a browser would not let another origin read an answer or send a preflighted request.
    const preflight = await rawRequest(`${server.baseUrl}/api/users`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://attacker.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await rawRequest(`${server.baseUrl}/api/users/me`, {
      headers: { origin: 'https://attacker.example', authorization: bearerAuth(server.adminToken) },
    });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 421 to a Host it does not serve (DNS rebinding), before any route runs', async () => {
    const rebound = { host: `attacker.example:${server.port}`, authorization: bearerAuth(server.adminToken) };
    const status = await rawRequest(`${server.baseUrl}/api/git-sync/status`, { headers: rebound });
    expect(status.status).toBe(421);
    const create = await rawRequest(`${server.baseUrl}/api/spaces`, {
      method: 'POST',
      headers: { ...rebound, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rebound' }),
    });
    expect(create.status).toBe(421);
    expect((await created<{ name: string }[]>('GET', '/api/spaces')).map((s) => s.name)).not.toContain('rebound');
    const refs = await rawRequest(`${server.baseUrl}/git/${spaceId}.git/info/refs?service=git-upload-pack`, {
      headers: { host: 'attacker.example', authorization: basicAuth(demo.username, demo.token) },
    });
    expect(refs.status).toBe(421);
    // The loopback names a local browser uses are served.
    expect(
      (
        await rawRequest(`${server.baseUrl}/api/users/me`, {
          headers: { host: `localhost:${server.port}`, authorization: bearerAuth(server.adminToken) },
        })
      ).status,
    ).toBe(200);
  });

  it("throttles the guessing address, never the victim's correct token from another address", async () => {
    const writer = who.writer;
    const refs = `/git/${spaceId}.git/info/refs?service=git-upload-pack`;
    const gitFrom = (address: string, token: string, headers: Record<string, string> = {}) =>
      rawRequest(server.baseUrl + refs, {
        localAddress: address,
        headers: { authorization: basicAuth(writer.username, token), ...headers },
      });
    const guess = () => `gst_guess-${id()}`;

    // git: guesses at the writer's token from 127.0.0.2.
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 2; i++) statuses.push((await gitFrom(attacker, guess())).status);
    expect(statuses).toEqual([...Array<number>(MAX_FAILURES).fill(401), 429, 429]);
    const blocked = await gitFrom(attacker, writer.token!);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await gitFrom('127.0.0.3', writer.token!)).status).toBe(200);
    expect((await send({ ...writer, address: '127.0.0.3' }, { method: 'GET', path: '/api/users/me' })).status).toBe(
      200,
    );

    // The API: Bearer guesses count per address.
    const apiAttacker = { ...who.admin, address: '127.0.0.4' };
    const apiStatuses: number[] = [];
    for (let i = 0; i < MAX_ADDRESS_FAILURES + 1; i++) {
      apiStatuses.push((await send({ ...apiAttacker, token: guess() }, { method: 'GET', path: '/api/users' })).status);
    }
    expect(apiStatuses).toEqual([...Array<number>(MAX_ADDRESS_FAILURES).fill(401), 429]);
    const apiBlocked = await send(apiAttacker, { method: 'GET', path: '/api/users' });
    expect(apiBlocked.status).toBe(429);
    expect(Number(apiBlocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await send({ ...who.admin, address: '127.0.0.5' }, { method: 'GET', path: '/api/users' })).status).toBe(
      200,
    );

    // Behind the trusted proxy (127.0.0.1), X-Forwarded-For names the client.
    const viaProxy = (client: string, token: string) => gitFrom('127.0.0.1', token, { 'x-forwarded-for': client });
    for (let i = 0; i < MAX_FAILURES; i++) expect((await viaProxy('203.0.113.9', guess())).status).toBe(401);
    expect((await viaProxy('203.0.113.9', writer.token!)).status).toBe(429);
    expect((await viaProxy('198.51.100.4', writer.token!)).status).toBe(200);
    expect(
      server.logs.some((l) => (l.req as { remoteAddress?: string } | undefined)?.remoteAddress === '203.0.113.9'),
    ).toBe(true);

    // From an address that is not a trusted proxy, a forged X-Forwarded-For changes nothing.
    for (let i = 0; i < MAX_FAILURES; i++)
      expect((await gitFrom('127.0.0.6', guess(), { 'x-forwarded-for': `192.0.2.${i}` })).status).toBe(401);
    expect((await gitFrom('127.0.0.6', writer.token!, { 'x-forwarded-for': '192.0.2.200' })).status).toBe(429);
  });

  it('answers 400, naming the field, to a NUL in a title or content, and 400 to a malformed pkt-line', async () => {
    const pages = `/api/spaces/${spaceId}/pages`;
    const nulTitle = await admin<{ issues: { field: string }[] }>('POST', pages, { title: 'A\u0000B' });
    expect(nulTitle.status).toBe(400);
    expect(nulTitle.body.issues.map((i) => i.field)).toEqual(['title']);
    const nulContent = await admin<{ issues: { field: string }[] }>('PATCH', `${pages}/${pageId}`, {
      content: 'x\u0000y',
    });
    expect(nulContent.status).toBe(400);
    expect(nulContent.body.issues.map((i) => i.field)).toEqual(['content']);

    for (const service of ['git-upload-pack', 'git-receive-pack']) {
      const res = await rawRequest(`${server.baseUrl}/git/${spaceId}.git/${service}`, {
        method: 'POST',
        headers: {
          'content-type': `application/x-${service}-request`,
          authorization: basicAuth(who.writer.username, who.writer.token!),
        },
        body: 'zzzz this is not a pkt-line',
      });
      expect({ service, status: res.status }).toEqual({ service, status: 400 });
    }
  });

  it('keeps every token out of the whole log at LOG_LEVEL=trace, git and API traffic alike', async () => {
    // git traffic with credentials in the URL, as people clone.
    const dir = join(env.tmp, 'clones', 'redaction');
    const writer = who.writer;
    const url = cloneUrl(server.baseUrl, spaceId, writer.username, writer.token!);
    expect((await git.run(['clone', '-q', url, dir])).code).toBe(0);
    await writeFileIn(dir, 'Logged.md', '# Logged\n');
    await git.ok(['add', '-A'], dir);
    await git.ok(['commit', '-q', '-m', 'a push to log'], dir);
    expect((await git.run(['push', 'origin', 'HEAD:main'], dir)).code).toBe(0);
    const demoDir = join(env.tmp, 'clones', 'demo');
    expect(
      (await git.run(['clone', '-q', cloneUrl(server.baseUrl, demo.spaceId, demo.username, demo.token), demoDir])).code,
    ).toBe(0);
    expect(await readFile(join(demoDir, 'Welcome.md'), 'utf8')).toContain('Welcome');
    // A failing request that echoes its URL, token in the query string.
    await rawRequest(`${server.baseUrl}/api/spaces/x?token=${demo.token}`, {
      headers: { authorization: bearerAuth(demo.token) },
    });

    await server.stop();
    const jsonLines = server.logs.map((entry) => JSON.stringify(entry));
    const log = [...jsonLines, ...server.stderr].join('\n');
    // The log did record the requests, headers included: redaction, not silence, kept the tokens out.
    expect(
      server.logs.filter(
        (l) => (l.req as { headers?: { authorization?: string } } | undefined)?.headers?.authorization === '[REDACTED]',
      ).length,
    ).toBeGreaterThan(0);
    expect(log).toContain(`/api/spaces/x?token=gst_[REDACTED]`);

    const leaks: string[] = [];
    for (const { username, token } of secrets) {
      if (log.includes(token)) leaks.push(`token of ${username}`);
      if (log.includes(token.slice(4))) leaks.push(`token body of ${username}`);
      const basic = Buffer.from(`${username}:${token}`).toString('base64');
      if (log.includes(basic)) leaks.push(`Basic credentials of ${username}`);
    }
    expect(leaks).toEqual([]);
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    // The first-run banner is the one place a token is printed, on plain stdout.
    expect(server.stdout.filter((line) => line.includes(demo.token)).length).toBeGreaterThan(0);
    expect(
      server.stdout.filter((line) => secrets.some((s) => s.token !== demo.token && line.includes(s.token))),
    ).toEqual([]);
  });
});
