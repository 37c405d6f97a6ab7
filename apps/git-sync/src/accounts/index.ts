export { AccountStore, USERNAME_PATTERN, type User, type IssuedToken, type Membership } from './account-store';
export type { AccountsTables, SpaceRole } from './accounts.tables';
export { accountMigrations, migrateAccounts, AccountsMigrationError } from './migrations';
export { AUTH_FAILURE_DEFAULTS, AuthFailureLimiter, type AuthFailureLimiterOptions } from './auth-failure-limiter';
export { AccountGitAccessPolicy, type GitSyncSpaceLookup } from './account-git-access.policy';
export { parseBasicAuthorization, type BasicCredentials } from './basic-credentials';
export { generateAccessToken, hashAccessToken } from './access-token';
export { UsernameTakenError } from './username-taken.error';
export { UserNotFoundError } from './user-not-found.error';
