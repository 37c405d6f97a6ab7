import { GitPathError } from './git-path.error';
import type { GitRoute } from './git-route';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENCODED_SEPARATOR_OR_DOT = /%(2f|5c|2e)/i;
const REPO_PATH = /^\/git\/([^/]+)\.git\/(.+)$/;

const SERVICES = {
  'git-upload-pack': 'upload',
  'git-receive-pack': 'receive',
} as const;

/**
 * Checks a smart-HTTP URL on its raw, undecoded form, so nothing that
 * decodes to a separator or a dot can reach `git http-backend`'s path
 * handling, and returns what the backend needs. Only the three smart-HTTP
 * endpoints are served; the dumb protocol's direct file access is not.
 *
 * @throws GitPathError
 */
export function validateGitPath(method: string, rawUrl: string): GitRoute {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
  const refuse = (reason: string, allow?: 'GET' | 'POST'): never => {
    throw new GitPathError({ status: allow === undefined ? 400 : 405, reason, path, allow });
  };

  if (path.includes('..')) refuse('path traversal ("..") is not allowed');
  if (ENCODED_SEPARATOR_OR_DOT.test(rawUrl)) refuse('encoded separators and dots are not allowed');
  if (path.includes('%')) refuse('percent-encoded characters are not allowed in the path');
  if (path.includes('\\') || path.includes('//')) refuse('malformed path');

  const match = REPO_PATH.exec(path);
  if (match === null) return refuse('not a repository path; expected /git/<space id>.git/...');
  const [, id, tail] = match as unknown as [string, string, string];
  if (!UUID.test(id)) refuse('the space id is not a uuid');
  const spaceId = id.toLowerCase();

  if (tail === 'info/refs') {
    if (method !== 'GET') refuse('info/refs takes GET', 'GET');
    const params = new URLSearchParams(query);
    const service = params.get('service');
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      return refuse('unknown service; expected ?service=git-upload-pack or git-receive-pack');
    }
    return {
      spaceId,
      service: SERVICES[service],
      endpoint: 'info-refs',
      pathInfo: '/info/refs',
      queryString: `service=${service}`,
    };
  }
  if (tail === 'git-upload-pack' || tail === 'git-receive-pack') {
    if (method !== 'POST') refuse(`${tail} takes POST`, 'POST');
    return { spaceId, service: SERVICES[tail], endpoint: 'rpc', pathInfo: `/${tail}`, queryString: '' };
  }
  return refuse('unknown service');
}
