import type { AccountStore, User } from './account-store';
import type { AuthFailureLimiter } from './auth-failure-limiter';

/** What a request presented: a token, with the username Basic auth adds. */
export interface PresentedCredentials {
  token: string;
  username?: string;
}

export type CredentialCheck =
  | { readonly ok: true; readonly user: User; readonly tokenId: string }
  /** `missing`: nothing was presented; `invalid`: wrong, malformed, revoked or expired. */
  | { readonly ok: false; readonly reason: 'missing' | 'invalid' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number };

/** Where failed and throttled logins are counted (the metrics). */
export interface AuthOutcomeCounter {
  authFailed(): void;
  authThrottled(): void;
}

/**
 * The one place where a presented token becomes a user, for git (Basic) and
 * the API (Bearer) alike, so that both count failures toward the same throttle.
 */
export class CredentialChecker {
  constructor(
    private readonly accounts: AccountStore,
    private readonly limiter: AuthFailureLimiter,
    private readonly counter?: AuthOutcomeCounter,
  ) {}

  /**
   * `credentials` undefined with `headerPresent` means a header that did not
   * parse: a failed attempt. No header at all is not one (git's handshake
   * asks without credentials first).
   */
  async check(
    credentials: PresentedCredentials | undefined,
    headerPresent: boolean,
    address: string,
  ): Promise<CredentialCheck> {
    const attempt = { address, username: credentials?.username };
    const waitMs = await this.limiter.blockedForMs(attempt);
    if (waitMs > 0) {
      this.counter?.authThrottled();
      return { ok: false, reason: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    if (!credentials) {
      if (!headerPresent) return { ok: false, reason: 'missing' };
      return this.#failed(attempt);
    }
    const owner = await this.accounts.authenticateToken(credentials.token);
    if (
      !owner ||
      (credentials.username !== undefined && owner.user.username.toLowerCase() !== credentials.username.toLowerCase())
    ) {
      return this.#failed(attempt);
    }
    if (credentials.username !== undefined) await this.limiter.recordSuccess(attempt);
    return { ok: true, user: owner.user, tokenId: owner.tokenId };
  }

  async #failed(attempt: { address: string; username: string | undefined }): Promise<CredentialCheck> {
    this.counter?.authFailed();
    await this.limiter.recordFailure(attempt);
    return { ok: false, reason: 'invalid' };
  }
}
