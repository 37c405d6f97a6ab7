import { describeEachBackend } from '../support/test-engine';
import type { AccessTokenInfoBody, ErrorBody, IssuedTokenBody, UserBody } from '../../support/api-bodies';
import { stringContaining, stringMatching } from '../../support/matchers';
import { useApiApp } from './api-app';

/** The parts of API auth the end-to-end security suite does not reach: admin changes, expiry input, CORS when configured. */
describeEachBackend('API auth on %s', (backend) => {
  const t = useApiApp(backend, { GIT_SYNC_CORS_ORIGINS: 'https://wiki.example.com' });
  let adminId: string;

  beforeAll(async () => {
    adminId = (await t.request<UserBody>('GET', '/api/users/me')).body.id;
  });

  it('grants and withdraws admin; the last admin can be neither demoted nor deleted', async () => {
    const user = (await t.request<UserBody>('POST', '/api/users', { username: 'ada' })).body;
    expect(user.admin).toBe(false);
    expect((await t.request('PATCH', `/api/users/${user.id}`, { admin: true })).body).toMatchObject({
      id: user.id,
      admin: true,
    });
    expect((await t.request<UserBody>('PATCH', `/api/users/${user.id}`, { admin: false })).body.admin).toBe(false);

    const demote = await t.request<ErrorBody>('PATCH', `/api/users/${adminId}`, { admin: false });
    expect(demote.status).toBe(409);
    expect(demote.body.message).toContain('last admin');
    expect((await t.request('DELETE', `/api/users/${adminId}`)).status).toBe(409);
    expect((await t.request<UserBody>('GET', '/api/users/me')).body.admin).toBe(true);
    expect((await t.request<ErrorBody>('PATCH', `/api/users/${user.id}`, { admin: 'yes' })).body.issues).toEqual([
      { field: 'admin', message: 'must be true or false' },
    ]);
  });

  it('usernames are unique regardless of case', async () => {
    expect((await t.request('POST', '/api/users', { username: 'Grace' })).status).toBe(201);
    expect((await t.request('POST', '/api/users', { username: 'GRACE' })).status).toBe(409);
  });

  it('issues a token with an expiry, and refuses one in the past or malformed', async () => {
    const user = (await t.request<UserBody>('POST', '/api/users', { username: 'expiring' })).body;
    const expiresAt = '2099-01-01T00:00:00.000Z';
    const issued = await t.request<IssuedTokenBody>('POST', `/api/users/${user.id}/tokens`, { name: 'ci', expiresAt });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: 'ci', expiresAt, token: stringMatching(/^gst_/) });
    expect((await t.request<AccessTokenInfoBody[]>('GET', `/api/users/${user.id}/tokens`)).body).toEqual([
      expect.objectContaining({ name: 'ci', expiresAt, lastUsedAt: null }),
    ]);

    const past = await t.request<ErrorBody>('POST', `/api/users/${user.id}/tokens`, {
      name: 'old',
      expiresAt: '2001-01-01T00:00:00Z',
    });
    expect(past.body.issues).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
    const garbled = await t.request<ErrorBody>('POST', `/api/users/${user.id}/tokens`, {
      name: 'old',
      expiresAt: 'tomorrow',
    });
    expect(garbled.body.issues).toEqual([{ field: 'expiresAt', message: stringContaining('ISO 8601') }]);
    expect((await t.request('GET', `/api/users/${user.id}/tokens`)).body).toHaveLength(1);
  });

  it('answers CORS only for the configured origins', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/users',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://wiki.example.com');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://wiki.example.com');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization');
    expect((await preflight('https://attacker.example')).headers['access-control-allow-origin']).toBeUndefined();

    const read = await t.request('GET', '/api/users/me', undefined, {
      headers: { origin: 'https://wiki.example.com' },
    });
    expect(read.headers['access-control-allow-origin']).toBe('https://wiki.example.com');
    // CORS lets a page read answers; it does not stand in for the token.
    const anonymous = await t.request('GET', '/api/users/me', undefined, {
      token: null,
      headers: { origin: 'https://wiki.example.com' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="git-sync"');
  });
});
