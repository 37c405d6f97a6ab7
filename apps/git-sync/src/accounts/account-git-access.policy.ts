import type { GitAccessDecision, GitAccessPolicy, GitAccessRequest } from '../git-http/git-access-policy.port';
import type { AccountStore } from './account-store';
import type { AuthFailureLimiter } from './auth-failure-limiter';
import { parseBasicAuthorization } from './basic-credentials';

/** Whether a space exists and has git-sync switched on; the page store answers it. */
export type GitSyncSpaceLookup = (spaceId: string) => Promise<boolean>;

const REALM = 'git-sync';
const UNAUTHORIZED: GitAccessDecision = {
  ok: false,
  status: 401,
  headers: { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` },
  message: 'Authentication required: use your username and an access token as the password',
};
// One answer for "no such space", "git-sync is off" and "not a member": the
// status must not tell a caller which spaces exist.
const NOT_FOUND: GitAccessDecision = { ok: false, status: 404, message: 'Repository not found' };
const READ_ONLY: GitAccessDecision = { ok: false, status: 403, message: 'Push denied: you have read-only access to this space' };

/**
 * Who may clone and push a space: HTTP Basic with a per-user access token,
 * then space membership (read or write). Credentials are checked before the
 * space is looked up, so an anonymous caller learns nothing about which
 * spaces exist. Bad credentials count against the caller's address and the
 * username, and too many of them answer 429 until the window ends.
 */
export class AccountGitAccessPolicy implements GitAccessPolicy {
  constructor(
    private readonly accounts: AccountStore,
    private readonly gitSyncSpaceExists: GitSyncSpaceLookup,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  async authorize(request: GitAccessRequest): Promise<GitAccessDecision> {
    const credentials = parseBasicAuthorization(request.authorization);
    const limitKeys = [`addr:${request.remoteAddress}`];
    if (credentials) limitKeys.push(`user:${credentials.username.toLowerCase()}`);

    const waitMs = await this.limiter.blockedForMs(limitKeys);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return {
        ok: false,
        status: 429,
        headers: { 'Retry-After': String(seconds) },
        message: `Too many failed authentication attempts; retry in ${seconds} s`,
      };
    }

    // A git client first asks without credentials and only sends them after
    // the 401, so a missing header is the normal handshake, not a failure.
    if (!credentials) return UNAUTHORIZED;
    const user = await this.accounts.authenticate(credentials.username, credentials.password);
    if (!user) {
      await this.limiter.recordFailure(limitKeys);
      return UNAUTHORIZED;
    }

    if (!(await this.gitSyncSpaceExists(request.spaceId))) return NOT_FOUND;
    const role = await this.accounts.getRole(request.spaceId, user.id);
    if (!role) return NOT_FOUND;
    if (request.service === 'receive' && role !== 'write') return READ_ONLY;
    return { ok: true, user: user.username };
  }
}
