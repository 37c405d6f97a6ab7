export {
  AccountStore,
  type User,
  type IssuedToken,
  type AccessTokenInfo,
  type TokenOwner,
  type Membership,
} from './account-store';
export type { AccountsTables, SpaceRole } from './accounts.tables';
export { accountMigrations, migrateAccounts } from './migrations';
export { AuthFailureLimiter, type AuthAttempt, type AuthFailureLimiterOptions } from './auth-failure-limiter';
export { CredentialChecker, type CredentialCheck, type PresentedCredentials } from './credential-checker';
export { AccountGitAccessPolicy, type GitSyncSpaceLookup } from './account-git-access.policy';
export { parseBasicAuthorization, parseBearerAuthorization, type BasicCredentials } from './basic-credentials';
export { generateAccessToken, hashAccessToken } from './access-token';
export { UsernameTakenError } from './username-taken.error';
export { UserNotFoundError } from './user-not-found.error';
export { LastAdminError } from './last-admin.error';
export {
  GIT_ACCESS_POLICY,
  type GitAccessDecision,
  type GitAccessPolicy,
  type GitAccessRequest,
  type GitService,
} from './git-access-policy.port';
