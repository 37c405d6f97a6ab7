import type { GitAccessDecision, GitAccessPolicy, GitAccessRequest } from './git-access-policy.port';
import type { AccountStore } from './account-store';
import { parseBasicAuthorization } from './basic-credentials';
import type { CredentialChecker } from './credential-checker';

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
const READ_ONLY: GitAccessDecision = {
  ok: false,
  status: 403,
  message: 'Push denied: you have read-only access to this space',
};

/**
 * Who may clone and push a space: HTTP Basic with a username and an access
 * token, then space membership (read or write); admins may do both on every
 * space. Credentials are checked before the space is looked up, so an
 * anonymous caller learns nothing about which spaces exist. Bad credentials
 * count toward the throttle, which answers 429 to the failing address.
 */
export class AccountGitAccessPolicy implements GitAccessPolicy {
  constructor(
    private readonly accounts: AccountStore,
    private readonly gitSyncSpaceExists: GitSyncSpaceLookup,
    private readonly credentials: CredentialChecker,
  ) {}

  async authorize(request: GitAccessRequest): Promise<GitAccessDecision> {
    const basic = parseBasicAuthorization(request.authorization);
    const presented = basic && { username: basic.username, token: basic.password };
    const check = await this.credentials.check(presented, request.authorization !== undefined, request.remoteAddress);
    if (!check.ok) {
      if (check.reason !== 'throttled') return UNAUTHORIZED;
      const seconds = check.retryAfterSeconds;
      return {
        ok: false,
        status: 429,
        headers: { 'Retry-After': String(seconds) },
        message: `Too many failed authentication attempts; retry in ${seconds} s`,
      };
    }
    const { user } = check;

    if (!(await this.gitSyncSpaceExists(request.spaceId))) return NOT_FOUND;
    if (user.admin) return { ok: true, user: user.username };
    const role = await this.accounts.getRole(request.spaceId, user.id);
    if (!role) return NOT_FOUND;
    if (request.service === 'receive' && role !== 'write') return READ_ONLY;
    return { ok: true, user: user.username };
  }
}
