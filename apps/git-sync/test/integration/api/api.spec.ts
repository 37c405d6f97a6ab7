import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ENGINE } from '../../../src/app/engine.tokens';
import type { Engine } from '../../../src/engine';
import { GitClient } from '../support/git-client';
import { describeEachBackend } from '../support/test-engine';
import type {
  ErrorBody,
  GitSyncStatusBody,
  IssuedTokenBody,
  MembershipBody,
  PageBody,
  PageNodeBody,
  RunOnceResultBody,
  SpaceBody,
  UserBody,
} from '../../support/api-bodies';
import { anyString, stringContaining, stringMatching } from '../../support/matchers';
import { useApiApp } from './api-app';
import { eventually } from '../../../../../packages/space-lock/test/helpers/wait-for';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describeEachBackend('REST API on %s', (backend) => {
  const t = useApiApp(backend);

  async function createSpace(body: object = { name: 'Docs' }) {
    const res = await t.request<SpaceBody>('POST', '/api/spaces', body);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function createPage(spaceId: string, body: object) {
    const res = await t.request<PageBody>('POST', `/api/spaces/${spaceId}/pages`, body);
    expect(res.status).toBe(201);
    return res.body;
  }

  async function createUser(username: string) {
    const res = await t.request<UserBody>('POST', '/api/users', { username });
    expect(res.status).toBe(201);
    return res.body;
  }

  function expectBadRequest(res: { status: number; body: unknown }, field: string, message?: string | RegExp) {
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const body = res.body as ErrorBody;
    const issue = (body.issues ?? []).find((i) => i.field === field);
    expect(issue).toBeDefined();
    if (message !== undefined)
      expect(issue!.message).toEqual(typeof message === 'string' ? message : stringMatching(message));
    expect(body.message).toContain(`${field}: ${issue!.message}`);
  }

  describe('spaces', () => {
    it('creates, lists, reads and switches git-sync on and off', async () => {
      const space = await createSpace({ name: 'Handbook', gitSyncEnabled: true });
      expect(space).toMatchObject({ name: 'Handbook', gitSyncEnabled: true, id: anyString() });

      const plain = await createSpace({ name: 'Scratch' });
      expect(plain.gitSyncEnabled).toBe(false);

      const list = await t.request<SpaceBody[]>('GET', '/api/spaces');
      expect(list.status).toBe(200);
      expect(list.body.map((s) => s.id)).toEqual(expect.arrayContaining([space.id, plain.id]));

      const read = await t.request('GET', `/api/spaces/${space.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: space.id, name: 'Handbook' });

      const off = await t.request<SpaceBody>('PUT', `/api/spaces/${space.id}/git-sync`, { enabled: false });
      expect(off.status).toBe(200);
      expect(off.body.gitSyncEnabled).toBe(false);
      expect((await t.request<SpaceBody>('GET', `/api/spaces/${space.id}`)).body.gitSyncEnabled).toBe(false);

      const on = await t.request<SpaceBody>('PUT', `/api/spaces/${space.id}/git-sync`, { enabled: true });
      expect(on.body.gitSyncEnabled).toBe(true);
    });

    it('rejects bad space input with the field named, and creates nothing', async () => {
      const before = (await t.request<SpaceBody[]>('GET', '/api/spaces')).body.length;

      expectBadRequest(await t.request('POST', '/api/spaces', {}), 'name', 'Required');
      expectBadRequest(await t.request('POST', '/api/spaces', { name: 42 }), 'name', /string/);
      expectBadRequest(await t.request('POST', '/api/spaces', { name: '   ' }), 'name', 'must not be empty');
      expectBadRequest(
        await t.request('POST', '/api/spaces', { name: 'x', gitSyncEnabled: 'yes' }),
        'gitSyncEnabled',
        /boolean/,
      );
      expectBadRequest(
        await t.request('POST', '/api/spaces', { name: 'x', owner: 'me' }),
        'owner',
        'is not an allowed field',
      );
      expectBadRequest(await t.request('POST', '/api/spaces', [{ name: 'x' }]), 'body');

      expect((await t.request<SpaceBody[]>('GET', '/api/spaces')).body.length).toBe(before);
    });

    it('rejects a bad git-sync switch without changing the space', async () => {
      const space = await createSpace({ name: 'Switch', gitSyncEnabled: true });
      expectBadRequest(await t.request('PUT', `/api/spaces/${space.id}/git-sync`, {}), 'enabled', 'Required');
      expectBadRequest(await t.request('PUT', `/api/spaces/${space.id}/git-sync`, { enabled: 'false' }), 'enabled');
      expectBadRequest(
        await t.request('PUT', `/api/spaces/${space.id}/git-sync`, { enabled: false, extra: 1 }),
        'extra',
      );
      expect((await t.request<SpaceBody>('GET', `/api/spaces/${space.id}`)).body.gitSyncEnabled).toBe(true);
    });

    it('answers 400 for a malformed space id and 404 for an unknown one', async () => {
      expectBadRequest(await t.request('GET', '/api/spaces/not-a-uuid'), 'spaceId', 'must be a UUID');
      expectBadRequest(
        await t.request('PUT', '/api/spaces/123/git-sync', { enabled: true }),
        'spaceId',
        'must be a UUID',
      );

      const missing = await t.request('GET', `/api/spaces/${UNKNOWN}`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect((await t.request('PUT', `/api/spaces/${UNKNOWN}/git-sync`, { enabled: true })).status).toBe(404);
    });
  });

  describe('pages', () => {
    it('creates, reads, lists, updates, renames, moves and deletes', async () => {
      const space = await createSpace();
      const root = await createPage(space.id, { title: 'Guide', content: '# Guide\n' });
      expect(root).toMatchObject({
        title: 'Guide',
        content: '# Guide\n',
        parentPageId: null,
        lastUpdatedSource: 'user',
      });
      const child = await createPage(space.id, { title: 'Setup', parentPageId: root.id });
      expect(child).toMatchObject({ parentPageId: root.id, content: '' });

      const tree = await t.request<PageNodeBody[]>('GET', `/api/spaces/${space.id}/pages`);
      expect(tree.status).toBe(200);
      expect(tree.body).toHaveLength(2);
      expect(tree.body.find((p) => p.id === child.id)).toMatchObject({
        title: 'Setup',
        parentPageId: root.id,
      });
      // The tree is the listing without content; content comes with the single page.
      expect(tree.body[0]).not.toHaveProperty('content');

      const read = await t.request('GET', `/api/spaces/${space.id}/pages/${root.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: root.id, content: '# Guide\n' });

      const edited = await t.request<PageBody>('PATCH', `/api/spaces/${space.id}/pages/${root.id}`, {
        content: 'new body',
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ content: 'new body', title: 'Guide' });

      const both = await t.request<PageBody>('PATCH', `/api/spaces/${space.id}/pages/${root.id}`, {
        title: 'Manual',
        content: 'v3',
      });
      expect(both.body).toMatchObject({ title: 'Manual', content: 'v3' });
      expect(both.body.revision).toBeGreaterThan(edited.body.revision);

      const moved = await t.request('POST', `/api/spaces/${space.id}/pages/${child.id}/move`, {
        parentPageId: null,
        position: 5,
      });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ parentPageId: null, position: 5 });
      const back = await t.request<PageNodeBody>('POST', `/api/spaces/${space.id}/pages/${child.id}/move`, {
        parentPageId: root.id,
      });
      expect(back.body.parentPageId).toBe(root.id);

      const deleted = await t.request('DELETE', `/api/spaces/${space.id}/pages/${child.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBeUndefined();
      expect((await t.request('GET', `/api/spaces/${space.id}/pages/${child.id}`)).status).toBe(404);
      expect((await t.request<PageNodeBody[]>('GET', `/api/spaces/${space.id}/pages`)).body.map((p) => p.id)).toEqual([
        root.id,
      ]);
      expect((await t.request('DELETE', `/api/spaces/${space.id}/pages/${child.id}`)).status).toBe(404);
    });

    it('rejects bad page input with the field named, and writes nothing', async () => {
      const space = await createSpace();
      const page = await createPage(space.id, { title: 'Keep', content: 'original' });
      const url = `/api/spaces/${space.id}/pages`;

      expectBadRequest(await t.request('POST', url, {}), 'title', 'Required');
      expectBadRequest(await t.request('POST', url, { title: 7 }), 'title', /Expected string/);
      expectBadRequest(await t.request('POST', url, { title: 'x', content: 1 }), 'content');
      expectBadRequest(
        await t.request('POST', url, { title: 'x', parentPageId: 'nope' }),
        'parentPageId',
        'must be a UUID',
      );
      expectBadRequest(await t.request('POST', url, { title: 'x', position: -1 }), 'position');
      expectBadRequest(await t.request('POST', url, { title: 'x', position: 1.5 }), 'position', 'must be an integer');
      expectBadRequest(await t.request('POST', url, { title: 'x', id: randomUUID() }), 'id', 'is not an allowed field');
      expectBadRequest(await t.request('POST', `/api/spaces/nope/pages`, { title: 'x' }), 'spaceId', 'must be a UUID');

      const pageUrl = `${url}/${page.id}`;
      expectBadRequest(await t.request('PATCH', pageUrl, {}), 'body', 'must set title, content or both');
      // A valid field next to an unknown one is not applied either.
      expectBadRequest(await t.request('PATCH', pageUrl, { content: 'changed', colour: 'red' }), 'colour');
      expectBadRequest(await t.request('PATCH', pageUrl, { title: '' }), 'title', 'must not be empty');
      expectBadRequest(
        await t.request('PATCH', `${url}/not-a-page`, { content: 'changed' }),
        'pageId',
        'must be a UUID',
      );
      expectBadRequest(await t.request('POST', `${pageUrl}/move`, {}), 'parentPageId', 'Required');
      expectBadRequest(
        await t.request('POST', `${pageUrl}/move`, { parentPageId: 'root' }),
        'parentPageId',
        'must be a UUID',
      );
      expectBadRequest(await t.request('DELETE', `${url}/1234`), 'pageId', 'must be a UUID');

      const tree = (await t.request('GET', url)).body;
      expect(tree).toHaveLength(1);
      const after = (await t.request('GET', pageUrl)).body;
      expect(after).toMatchObject({ title: 'Keep', content: 'original', parentPageId: null, revision: page.revision });
    });

    it('answers 400 for an invalid parent and 404 for unknown spaces and pages', async () => {
      const space = await createSpace();
      const other = await createSpace({ name: 'Other' });
      const parent = await createPage(space.id, { title: 'Parent' });
      const child = await createPage(space.id, { title: 'Child', parentPageId: parent.id });
      const foreign = await createPage(other.id, { title: 'Foreign' });

      const unknownParent = await t.request('POST', `/api/spaces/${space.id}/pages`, {
        title: 'Orphan',
        parentPageId: UNKNOWN,
      });
      expectBadRequest(unknownParent, 'parentPageId');
      // A page of another space is not a parent here either.
      expectBadRequest(
        await t.request('POST', `/api/spaces/${space.id}/pages`, { title: 'X', parentPageId: foreign.id }),
        'parentPageId',
      );
      const cycle = await t.request('POST', `/api/spaces/${space.id}/pages/${parent.id}/move`, {
        parentPageId: child.id,
      });
      expectBadRequest(cycle, 'parentPageId', /descendant/);
      expect((await t.request('GET', `/api/spaces/${space.id}/pages`)).body).toHaveLength(2);

      expect((await t.request('GET', `/api/spaces/${UNKNOWN}/pages`)).status).toBe(404);
      expect((await t.request('POST', `/api/spaces/${UNKNOWN}/pages`, { title: 'x' })).status).toBe(404);
      expect((await t.request('GET', `/api/spaces/${space.id}/pages/${UNKNOWN}`)).status).toBe(404);
      expect((await t.request('GET', `/api/spaces/${space.id}/pages/${foreign.id}`)).status).toBe(404);
      expect((await t.request('PATCH', `/api/spaces/${space.id}/pages/${UNKNOWN}`, { title: 'x' })).status).toBe(404);
      expect(
        (await t.request('POST', `/api/spaces/${space.id}/pages/${foreign.id}/move`, { parentPageId: null })).status,
      ).toBe(404);
      const gone = await t.request('DELETE', `/api/spaces/${space.id}/pages/${UNKNOWN}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({
        statusCode: 404,
        error: 'Not Found',
        message: stringContaining(UNKNOWN),
      });
    });
  });

  describe('revisions (ETag and If-Match)', () => {
    it('GET returns the revision as ETag; a PATCH, move or DELETE on a stale one gets 412 and changes nothing', async () => {
      const space = await createSpace();
      const page = await createPage(space.id, { title: 'Shared', content: 'v1\n' });
      const url = `/api/spaces/${space.id}/pages/${page.id}`;
      const read = await t.request<PageBody>('GET', url);
      const etag = read.headers.etag as string;
      expect(etag).toBe(`"${read.body.revision}"`);

      // Two editors read the same revision; the first write wins, the second is told it is stale.
      const first = await t.request<PageBody>('PATCH', url, { content: 'first\n' }, { headers: { 'if-match': etag } });
      expect(first.status).toBe(200);
      expect(first.headers.etag).toBe(`"${first.body.revision}"`);
      const second = await t.request<ErrorBody>(
        'PATCH',
        url,
        { content: 'second\n' },
        { headers: { 'if-match': etag } },
      );
      expect(second.status).toBe(412);
      expect(second.body).toMatchObject({ statusCode: 412, error: 'Precondition Failed' });
      expect(second.body.message).toContain(`revision ${first.body.revision}`);
      expect(
        (await t.request('POST', `${url}/move`, { parentPageId: null }, { headers: { 'if-match': etag } })).status,
      ).toBe(412);
      expect((await t.request('DELETE', url, undefined, { headers: { 'if-match': etag } })).status).toBe(412);
      const after = await t.request('GET', url);
      expect(after.body).toMatchObject({ content: 'first\n', revision: first.body.revision, deletedAt: null });

      // The current revision is accepted, title and content change in one revision, and * matches any.
      const both = await t.request(
        'PATCH',
        url,
        { title: 'Renamed', content: 'both\n' },
        { headers: { 'if-match': first.headers.etag as string } },
      );
      expect(both.status).toBe(200);
      expect(both.body).toMatchObject({ title: 'Renamed', content: 'both\n', revision: first.body.revision + 1 });
      expect((await t.request('PATCH', url, { content: 'any\n' }, { headers: { 'if-match': '*' } })).status).toBe(200);
      // Without If-Match, last write wins as before.
      expect((await t.request('PATCH', url, { content: 'unconditional\n' })).status).toBe(200);
      const current = await t.request('GET', url);
      expect(
        (await t.request('DELETE', url, undefined, { headers: { 'if-match': current.headers.etag as string } })).status,
      ).toBe(204);
    });

    it('refuses an If-Match that is not one of its ETags with 400, before writing', async () => {
      const space = await createSpace();
      const page = await createPage(space.id, { title: 'Tagged', content: 'v1\n' });
      const url = `/api/spaces/${space.id}/pages/${page.id}`;
      for (const bad of ['3', 'W/"1"', '"abc"']) {
        const res = await t.request('PATCH', url, { content: 'x\n' }, { headers: { 'if-match': bad } });
        expectBadRequest(res, 'If-Match');
      }
      expect((await t.request<PageBody>('GET', url)).body.content).toBe('v1\n');
    });
  });

  describe('users, tokens and members', () => {
    it('creates and lists users, issues a token once and revokes it', async () => {
      const user = await createUser('ada');
      expect(user).toMatchObject({ username: 'ada', id: anyString() });
      const users = (await t.request<UserBody[]>('GET', '/api/users')).body;
      expect(users.map((u) => u.username)).toContain('ada');

      const issued = await t.request<IssuedTokenBody>('POST', `/api/users/${user.id}/tokens`, { name: 'laptop' });
      expect(issued.status).toBe(201);
      expect(issued.body).toEqual({ id: anyString(), name: 'laptop', token: stringMatching(/^gst_/) });
      expect(JSON.stringify(users)).not.toContain('token');

      const revoked = await t.request('DELETE', `/api/users/${user.id}/tokens/${issued.body.id}`);
      expect(revoked.status).toBe(204);
      expect((await t.request('DELETE', `/api/users/${user.id}/tokens/${issued.body.id}`)).status).toBe(404);
    });

    it('answers 409 for a taken username', async () => {
      await createUser('grace');
      const again = await t.request('POST', '/api/users', { username: 'grace' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        message: stringContaining('grace'),
      });
    });

    it('rejects bad user, token and member input with the field named, and writes nothing', async () => {
      const user = await createUser('linus');
      const space = await createSpace();
      const before = (await t.request<UserBody[]>('GET', '/api/users')).body.length;

      expectBadRequest(await t.request('POST', '/api/users', {}), 'username', 'Required');
      expectBadRequest(await t.request('POST', '/api/users', { username: 'has:colon' }), 'username', /letters, digits/);
      expectBadRequest(await t.request('POST', '/api/users', { username: '-dash' }), 'username');
      expectBadRequest(await t.request('POST', '/api/users', { username: 'ok', admin: true }), 'admin');
      expect((await t.request<UserBody[]>('GET', '/api/users')).body.length).toBe(before);

      expectBadRequest(await t.request('POST', `/api/users/${user.id}/tokens`, {}), 'name', 'Required');
      expectBadRequest(await t.request('POST', `/api/users/${user.id}/tokens`, { name: 'x', scope: 'all' }), 'scope');
      expectBadRequest(await t.request('POST', '/api/users/abc/tokens', { name: 'x' }), 'userId', 'must be a UUID');
      expectBadRequest(await t.request('DELETE', `/api/users/${user.id}/tokens/zzz`), 'tokenId', 'must be a UUID');
      const engine = t.app.get<Engine>(ENGINE);
      const tokens = await engine.db
        .selectFrom('access_tokens' as never)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id' as never, '=', user.id as never)
        .executeTakeFirstOrThrow();
      expect(Number(tokens.n)).toBe(0);

      const member = `/api/spaces/${space.id}/members/${user.id}`;
      expectBadRequest(await t.request('PUT', member, {}), 'role', 'Required');
      expectBadRequest(await t.request('PUT', member, { role: 'admin' }), 'role', "must be 'read' or 'write'");
      expectBadRequest(await t.request('PUT', member, { role: 'read', until: 'never' }), 'until');
      expectBadRequest(
        await t.request('PUT', `/api/spaces/${space.id}/members/me`, { role: 'read' }),
        'userId',
        'must be a UUID',
      );
      expectBadRequest(await t.request('GET', '/api/spaces/x/members'), 'spaceId', 'must be a UUID');
      expect((await t.request('GET', `/api/spaces/${space.id}/members`)).body).toEqual([]);
    });

    it('sets, changes, lists and removes a membership', async () => {
      const user = await createUser('margaret');
      const space = await createSpace();
      const url = `/api/spaces/${space.id}/members/${user.id}`;

      const added = await t.request('PUT', url, { role: 'read' });
      expect(added.status).toBe(200);
      expect(added.body).toEqual({ spaceId: space.id, userId: user.id, username: 'margaret', role: 'read' });
      expect((await t.request<MembershipBody>('PUT', url, { role: 'write' })).body.role).toBe('write');

      const members = await t.request('GET', `/api/spaces/${space.id}/members`);
      expect(members.body).toEqual([{ spaceId: space.id, userId: user.id, username: 'margaret', role: 'write' }]);

      expect((await t.request('DELETE', url)).status).toBe(204);
      expect((await t.request('GET', `/api/spaces/${space.id}/members`)).body).toEqual([]);
      expect((await t.request('DELETE', url)).status).toBe(404);
    });

    it('answers 404 for unknown users and spaces', async () => {
      const user = await createUser('barbara');
      const space = await createSpace();
      expect((await t.request('POST', `/api/users/${UNKNOWN}/tokens`, { name: 'x' })).status).toBe(404);
      expect((await t.request('DELETE', `/api/users/${user.id}/tokens/${UNKNOWN}`)).status).toBe(404);
      expect((await t.request('PUT', `/api/spaces/${space.id}/members/${UNKNOWN}`, { role: 'read' })).status).toBe(404);
      expect((await t.request('PUT', `/api/spaces/${UNKNOWN}/members/${user.id}`, { role: 'read' })).status).toBe(404);
      expect((await t.request('GET', `/api/spaces/${UNKNOWN}/members`)).status).toBe(404);
      expect((await t.request('DELETE', `/api/spaces/${UNKNOWN}/members/${user.id}`)).status).toBe(404);
    });
  });

  describe('git-sync', () => {
    it('triggers a real cycle and reports it in the status', async () => {
      const space = await createSpace({ name: 'Synced', gitSyncEnabled: true });
      await createPage(space.id, { title: 'Welcome', content: 'hello' });

      const res = await t.request<RunOnceResultBody>('POST', '/api/git-sync/trigger', { spaceId: space.id });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ spaceId: space.id, ran: true });
      expect(res.body.error).toBeUndefined();
      expect(res.body.pull?.written).toBeGreaterThanOrEqual(1);

      const status = await t.request<GitSyncStatusBody>('GET', '/api/git-sync/status');
      expect(status.status).toBe(200);
      expect(status.body.config).toMatchObject({ enabled: true, pollIntervalMs: 0, debounceMs: 60000 });
      expect(status.body.workTreeOverlaps).toBe(0);
      const record = status.body.spaces.find((s) => s.result.spaceId === space.id);
      expect(record).toMatchObject({ trigger: 'manual', result: res.body, at: anyString() });
    });

    it('reports a disabled space as skipped', async () => {
      const space = await createSpace({ name: 'Local only' });
      await createPage(space.id, { title: 'Private' });
      const res = await t.request('POST', '/api/git-sync/trigger', { spaceId: space.id });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ spaceId: space.id, ran: false, skipped: 'space-not-enabled' });
    });

    it('validates the trigger and answers 404 for an unknown space', async () => {
      expectBadRequest(await t.request('POST', '/api/git-sync/trigger', {}), 'spaceId', 'Required');
      expectBadRequest(
        await t.request('POST', '/api/git-sync/trigger', { spaceId: 'abc' }),
        'spaceId',
        'must be a UUID',
      );
      expectBadRequest(await t.request('POST', '/api/git-sync/trigger', { spaceId: UNKNOWN, force: true }), 'force');
      expect((await t.request('POST', '/api/git-sync/trigger', { spaceId: UNKNOWN })).status).toBe(404);
      const status = (await t.request<GitSyncStatusBody>('GET', '/api/git-sync/status')).body;
      expect(status.spaces.some((s) => s.result.spaceId === UNKNOWN)).toBe(false);
    });
  });
});

describeEachBackend('debounced sync of API edits on %s', (backend) => {
  const DEBOUNCE_MS = 100;
  const t = useApiApp(backend, { GIT_SYNC_DEBOUNCE_MS: String(DEBOUNCE_MS) });

  async function recordOf(spaceId: string) {
    const status = (await t.request<GitSyncStatusBody>('GET', '/api/git-sync/status')).body;
    return status.spaces.find((s) => s.result.spaceId === spaceId);
  }

  function waitForRecord(spaceId: string, accept: (r: NonNullable<Awaited<ReturnType<typeof recordOf>>>) => boolean) {
    let last: Awaited<ReturnType<typeof recordOf>>;
    return eventually(
      async () => {
        last = await recordOf(spaceId);
        return last && accept(last) ? last : undefined;
      },
      () => `a matching sync record for ${spaceId}; last: ${JSON.stringify(last)}`,
      30_000,
      // Often: a later cycle's record replaces the one awaited.
      25,
    );
  }

  it('syncs a space after an API edit, and a cycle that writes pages does not schedule another', async () => {
    const space = (await t.request<SpaceBody>('POST', '/api/spaces', { name: 'Live', gitSyncEnabled: true })).body;
    const page = (
      await t.request<PageBody>('POST', `/api/spaces/${space.id}/pages`, { title: 'Notes', content: 'first' })
    ).body;

    const synced = await waitForRecord(space.id, (r) => r.trigger === 'debounce' && r.result.ran);
    expect(synced.result.pull?.written).toBeGreaterThanOrEqual(1);

    // A person edits the vault; the cycle that imports the edit writes the page as git-sync.
    const engine = t.app.get<Engine>(ENGINE);
    const client = await GitClient.clone(engine.vaultPath(space.id), join(t.tmp, 'clone'));
    const [file] = (await client.text(['ls-files', '*.md'])).split('\n');
    await client.write(file, (await client.read(file)).replace('first', 'edited in git'));
    await client.commitAll('Edit in git');
    await client.push();

    const manual = await t.request<RunOnceResultBody>('POST', '/api/git-sync/trigger', { spaceId: space.id });
    expect(manual.body.push?.updated).toBe(1);
    const imported = (await t.request('GET', `/api/spaces/${space.id}/pages/${page.id}`)).body;
    expect(imported).toMatchObject({ content: 'edited in git', lastUpdatedSource: 'git-sync' });

    // Many debounce periods later the manual run is still the last one: nothing was scheduled by the import.
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS * 10));
    expect(await recordOf(space.id)).toMatchObject({ trigger: 'manual' });

    // While an API edit still is picked up again.
    await t.request('PATCH', `/api/spaces/${space.id}/pages/${page.id}`, { content: 'edited in the wiki' });
    const again = await waitForRecord(space.id, (r) => r.trigger === 'debounce' && r.result.ran);
    expect(again.result.pull?.written).toBeGreaterThanOrEqual(1);
  });
});
