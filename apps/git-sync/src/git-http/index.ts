export {
  GIT_ACCESS_POLICY,
  type GitAccessDecision,
  type GitAccessPolicy,
  type GitAccessRequest,
} from '../accounts/git-access-policy.port';
export {
  GIT_REPOSITORY_PROVIDER,
  type GitRepositoryProvider,
  type RepositoryAccess,
} from './git-repository-provider.port';
export type { GitRoute } from './git-route';
export type { GitService } from '../accounts/git-access-policy.port';
export { GitPathError } from './git-path.error';
export { RepositoryNotReadyError } from './repository-not-ready.error';
export { validateGitPath } from './git-path.validator';
export type { GitBackendFailure, GitBackendOutcome, GitBackendRequest } from './git-backend-request';
export { GitBackendService } from './git-backend.service';
export { GitHttpController } from './git-http.controller';
export { GitHttpModule, GIT_CONTENT_TYPES, type GitHttpModuleOptions } from './git-http.module';
