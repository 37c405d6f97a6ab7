import { GitPathError, validateGitPath } from '../../../src/git-http';

const ID = '3f2b8c1e-9d4a-4e7b-8a6c-1b2d3e4f5a6b';

function refusal(method: string, url: string): GitPathError {
  try {
    validateGitPath(method, url);
  } catch (err) {
    if (err instanceof GitPathError) return err;
    throw err;
  }
  throw new Error(`expected ${method} ${url} to be refused`);
}

describe('validateGitPath', () => {
  it('accepts the three smart-HTTP endpoints and normalises the id and query', () => {
    expect(validateGitPath('GET', `/git/${ID.toUpperCase()}.git/info/refs?service=git-upload-pack`)).toEqual({
      spaceId: ID,
      service: 'upload',
      endpoint: 'info-refs',
      pathInfo: '/info/refs',
      queryString: 'service=git-upload-pack',
    });
    expect(validateGitPath('GET', `/git/${ID}.git/info/refs?service=git-receive-pack&x=1`)).toMatchObject({
      service: 'receive',
      queryString: 'service=git-receive-pack',
    });
    expect(validateGitPath('POST', `/git/${ID}.git/git-upload-pack`)).toMatchObject({
      service: 'upload',
      endpoint: 'rpc',
      pathInfo: '/git-upload-pack',
    });
    expect(validateGitPath('POST', `/git/${ID}.git/git-receive-pack`)).toMatchObject({
      service: 'receive',
      endpoint: 'rpc',
      pathInfo: '/git-receive-pack',
    });
  });

  it.each([
    [`/git/../${ID}.git/info/refs?service=git-upload-pack`, '..'],
    [`/git/${ID}.git/info/refs?service=..`, 'unknown service'],
    [`/git/${ID}%2F.git/info/refs?service=git-upload-pack`, 'encoded'],
    [`/git/${ID}%5c.git/info/refs?service=git-upload-pack`, 'encoded'],
    [`/git/%2E${ID}.git/info/refs?service=git-upload-pack`, 'encoded'],
    [`/git/${ID}.git/info/refs?service=git-upload-pack%2e`, 'encoded'],
    [`/git/${ID}%41.git/info/refs?service=git-upload-pack`, 'percent-encoded'],
    [`/git/${ID}.git//info/refs?service=git-upload-pack`, 'malformed'],
    [`/git/${ID}\\.git/info/refs?service=git-upload-pack`, 'malformed'],
    [`/git/space.git/info/refs?service=git-upload-pack`, 'uuid'],
    [`/git/${ID}/info/refs?service=git-upload-pack`, 'repository path'],
    [`/git/${ID}.git/info/refs?service=git-upload-archive`, 'unknown service'],
    [`/git/${ID}.git/objects/info/packs`, 'unknown service'],
  ])('refuses GET %s with 400 (%s)', (url, reason) => {
    const err = refusal('GET', url);
    expect(err).toMatchObject({ name: 'GitPathError', status: 400 });
    expect(err.reason).toContain(reason);
  });

  it('answers 405 with the allowed method for a known endpoint with the wrong one', () => {
    expect(refusal('POST', `/git/${ID}.git/info/refs?service=git-upload-pack`)).toMatchObject({
      status: 405,
      allow: 'GET',
    });
    expect(refusal('GET', `/git/${ID}.git/git-receive-pack`)).toMatchObject({ status: 405, allow: 'POST' });
  });
});
