/** `upload` reads (clone, fetch); `receive` writes (push). */
export type GitService = 'upload' | 'receive';

/** What the policy is asked about one git request. */
export interface GitAccessRequest {
  readonly spaceId: string;
  /** `upload` reads (clone, fetch); `receive` writes (push). */
  readonly service: GitService;
  /** The raw `Authorization` header, if any. */
  readonly authorization: string | undefined;
  readonly remoteAddress: string;
}

export type GitAccessDecision =
  | { readonly ok: true; readonly user: string }
  | {
      readonly ok: false;
      /**
       * 400 bad request, 401 no or bad credentials (send `WWW-Authenticate`),
       * 403 read-only member pushing, 404 unknown space / not a member /
       * git-sync off (never reveal which), 429 too many failures (send `Retry-After`).
       */
      readonly status: 400 | 401 | 403 | 404 | 429;
      readonly headers?: Readonly<Record<string, string>>;
      readonly message: string;
    };

/** Decides who may clone or push a space. Consulted before any process is spawned. */
export interface GitAccessPolicy {
  authorize(request: GitAccessRequest): Promise<GitAccessDecision>;
}

export const GIT_ACCESS_POLICY = Symbol('GIT_ACCESS_POLICY');
