import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  AccountGitAccessPolicy,
  AccountStore,
  AuthFailureLimiter,
  CredentialChecker,
  UsernameTakenError,
  accountMigrations,
  hashAccessToken,
  type AccountsTables,
} from '../../../src/accounts';
import { openDatabase, type DatabaseHandle } from '../../../src/pages/database';
import type { Database } from '../../../src/pages/database.types';
import { migrations } from '../../../src/pages/migrations';
import { PageStore } from '../../../src/pages/page-store';
import { PageStoreSpaceDirectory } from '../../../src/app/page-store-space-directory';
import { describeEachBackend, makeBackend, type TestBackend } from '../support/test-engine';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describeEachBackend('accounts and git access on %s', (backendName) => {
  let tmp: string;
  let backend: TestBackend;
  let handle: DatabaseHandle<Database>;
  let pages: PageStore;
  let accounts: AccountStore;
  let policy: AccountGitAccessPolicy;
  let spaceId: string;
  let disabledSpaceId: string;
  let writer: { id: string; token: string };
  let reader: { id: string; token: string };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'git-sync-accounts-'));
    backend = makeBackend(backendName);
    handle = await openDatabase<Database>({
      dataDir: tmp,
      databaseUrl: backend.databaseOptions.databaseUrl,
      schema: backend.databaseOptions.databaseSchema,
      migrations: { ...migrations, ...accountMigrations },
    });
    pages = new PageStore(handle.db);
    accounts = new AccountStore(handle.db);
    spaceId = (await pages.createSpace({ name: 'Docs', gitSyncEnabled: true })).id;
    disabledSpaceId = (await pages.createSpace({ name: 'Off', gitSyncEnabled: false })).id;
    const w = await accounts.createUser('writer');
    const r = await accounts.createUser('reader');
    writer = { id: w.id, token: (await accounts.issueToken(w.id, 'laptop')).token };
    reader = { id: r.id, token: (await accounts.issueToken(r.id, 'ci')).token };
    await accounts.setMembership(spaceId, w.id, 'write');
    await accounts.setMembership(spaceId, r.id, 'read');
    await accounts.setMembership(disabledSpaceId, w.id, 'write');
  });

  afterAll(async () => {
    await handle?.close();
    await backend?.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    const directory = new PageStoreSpaceDirectory(pages);
    const limiter = AuthFailureLimiter.inMemory({ maxFailures: 3, maxAddressFailures: 3, windowSeconds: 60 });
    policy = new AccountGitAccessPolicy(
      accounts,
      (id) => directory.isGitSyncEnabled(id),
      new CredentialChecker(accounts, limiter),
    );
  });

  const ask = (over: Partial<Parameters<AccountGitAccessPolicy['authorize']>[0]> = {}) =>
    policy.authorize({ spaceId, service: 'upload', authorization: undefined, remoteAddress: '127.0.0.1', ...over });

  it('stores only the hash of a token', async () => {
    const rows = await handle.db
      .withTables<AccountsTables>()
      .selectFrom('access_tokens')
      .select('token_hash')
      .execute();
    expect(rows.map((r) => r.token_hash)).toContain(hashAccessToken(writer.token));
    const raw = await sql<{
      n: number;
    }>`select count(*)::int as n from access_tokens where token_hash = ${writer.token}`.execute(handle.db);
    expect(raw.rows[0].n).toBe(0);
  });

  it('rejects a taken username with a typed error', async () => {
    await expect(accounts.createUser('writer')).rejects.toBeInstanceOf(UsernameTakenError);
    await expect(accounts.createUser('bad:name')).rejects.toThrow(/`username`/);
  });

  it('401 with WWW-Authenticate when there are no credentials', async () => {
    const decision = await ask();
    expect(decision).toMatchObject({ ok: false, status: 401 });
    expect(!decision.ok && decision.headers?.['WWW-Authenticate']).toMatch(/^Basic realm=/);
  });

  it('401 for a wrong token, a token of another user, and a revoked token', async () => {
    expect(await ask({ authorization: basic('writer', 'gst_wrong') })).toMatchObject({ status: 401 });
    expect(await ask({ authorization: basic('writer', reader.token) })).toMatchObject({ status: 401 });
    const spare = await accounts.issueToken(writer.id, 'spare');
    expect(await ask({ authorization: basic('writer', spare.token) })).toMatchObject({ ok: true });
    expect(await accounts.revokeToken(writer.id, spare.id)).toBe(true);
    expect(await ask({ authorization: basic('writer', spare.token), remoteAddress: '127.0.0.2' })).toMatchObject({
      status: 401,
    });
  });

  it('a member reads; a writer pushes; a reader pushing gets 403', async () => {
    expect(await ask({ authorization: basic('reader', reader.token) })).toEqual({ ok: true, user: 'reader' });
    expect(await ask({ authorization: basic('writer', writer.token), service: 'receive' })).toEqual({
      ok: true,
      user: 'writer',
    });
    expect(await ask({ authorization: basic('reader', reader.token), service: 'receive' })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('404, with one message, for an unknown space, a disabled space and a non-member', async () => {
    const outsider = await accounts.createUser(`outsider-${backendName}`);
    const outsiderToken = (await accounts.issueToken(outsider.id, 't')).token;
    const unknown = await ask({
      spaceId: '00000000-0000-4000-8000-000000000000',
      authorization: basic('writer', writer.token),
    });
    const disabled = await ask({ spaceId: disabledSpaceId, authorization: basic('writer', writer.token) });
    const stranger = await ask({ authorization: basic(outsider.username, outsiderToken) });
    for (const d of [unknown, disabled, stranger]) expect(d).toMatchObject({ ok: false, status: 404 });
    expect(new Set([unknown, disabled, stranger].map((d) => !d.ok && d.message)).size).toBe(1);
  });

  it('an anonymous caller learns nothing about a space: 401 whether it exists or not', async () => {
    expect(await ask({ spaceId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ status: 401 });
    expect(await ask()).toMatchObject({ status: 401 });
  });

  it('429 with Retry-After after repeated failures from one address, even with good credentials', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await ask({ authorization: basic(`nobody${i}`, 'x'), remoteAddress: '10.0.0.9' })).toMatchObject({
        status: 401,
      });
    }
    const blocked = await ask({ authorization: basic('writer', writer.token), remoteAddress: '10.0.0.9' });
    expect(blocked).toMatchObject({ ok: false, status: 429 });
    expect(Number(!blocked.ok && blocked.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    // Another address is unaffected.
    expect(await ask({ authorization: basic('writer', writer.token), remoteAddress: '10.0.0.10' })).toMatchObject({
      ok: true,
    });
  });

  it("failures against one user from other addresses never refuse that user's correct token", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await ask({ authorization: basic('reader', 'gst_guess'), remoteAddress: '10.1.0.1' })).toMatchObject({
        status: 401,
      });
    }
    expect(await ask({ authorization: basic('reader', reader.token), remoteAddress: '10.1.0.1' })).toMatchObject({
      status: 429,
    });
    expect(await ask({ authorization: basic('reader', reader.token), remoteAddress: '10.2.0.1' })).toMatchObject({
      ok: true,
    });
  });

  it("counts (address, username) apart from the address: one user's typos behind a shared address spare the others", async () => {
    const limiter = AuthFailureLimiter.inMemory({ maxFailures: 2, maxAddressFailures: 5, windowSeconds: 60 });
    const directory = new PageStoreSpaceDirectory(pages);
    const shared = new AccountGitAccessPolicy(
      accounts,
      (id) => directory.isGitSyncEnabled(id),
      new CredentialChecker(accounts, limiter),
    );
    const from = (authorization: string) =>
      shared.authorize({ spaceId, service: 'upload', authorization, remoteAddress: '10.4.0.1' });
    for (let i = 0; i < 2; i++) expect(await from(basic('reader', 'gst_typo'))).toMatchObject({ status: 401 });
    expect(await from(basic('reader', reader.token))).toMatchObject({ status: 429 });
    expect(await from(basic('writer', writer.token))).toMatchObject({ ok: true });
    // The address as a whole is still limited: five failures, whatever the usernames.
    for (let i = 0; i < 3; i++) expect(await from(basic(`someone${i}`, 'gst_x'))).toMatchObject({ status: 401 });
    expect(await from(basic('writer', writer.token))).toMatchObject({ status: 429 });
  });

  it('usernames match without regard to case, and cannot exist twice in different cases', async () => {
    expect(await ask({ authorization: basic('WRITER', writer.token), remoteAddress: '10.5.0.1' })).toMatchObject({
      ok: true,
    });
    await expect(accounts.createUser('Writer')).rejects.toBeInstanceOf(UsernameTakenError);
    expect((await accounts.findUserByName('READER'))?.id).toBe(reader.id);
  });

  it('an expired token is refused like a revoked one; an admin reaches every enabled space', async () => {
    const admin = await accounts.createUser(`admin-${backendName}`, { admin: true });
    const live = await accounts.issueToken(admin.id, 'live', new Date(Date.now() + 3_600_000));
    const expired = await accounts.issueToken(admin.id, 'old');
    await handle.db
      .withTables<AccountsTables>()
      .updateTable('access_tokens')
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where('id', '=', expired.id)
      .execute();
    const as = (token: string, service: 'upload' | 'receive' = 'receive') =>
      ask({ authorization: basic(admin.username, token), remoteAddress: '10.6.0.1', service });
    expect(await as(live.token)).toEqual({ ok: true, user: admin.username });
    expect(await as(expired.token)).toMatchObject({ status: 401 });
    expect((await accounts.listTokens(admin.id)).map((t) => t.name).sort()).toEqual(['live', 'old']);
  });

  it('the normal git handshake (no credentials first) never counts as a failure', async () => {
    for (let i = 0; i < 10; i++) expect(await ask({ remoteAddress: '10.3.0.1' })).toMatchObject({ status: 401 });
    expect(await ask({ authorization: basic('writer', writer.token), remoteAddress: '10.3.0.1' })).toMatchObject({
      ok: true,
    });
  });
});
