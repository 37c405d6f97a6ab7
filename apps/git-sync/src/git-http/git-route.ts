import type { GitService } from '../accounts/git-access-policy.port';

/** A validated smart-HTTP request, ready to hand to `git http-backend`. */
export interface GitRoute {
  /** Lower-case uuid. */
  readonly spaceId: string;
  readonly service: GitService;
  /** The ref advertisement (`GET info/refs`) or the pack exchange (`POST git-*-pack`). */
  readonly endpoint: 'info-refs' | 'rpc';
  /** The CGI `PATH_INFO`, relative to the repository. */
  readonly pathInfo: '/info/refs' | '/git-upload-pack' | '/git-receive-pack';
  /** The CGI `QUERY_STRING`, rebuilt from the validated service only. */
  readonly queryString: string;
}
