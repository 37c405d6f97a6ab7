import { ForbiddenException, HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';

/** An API error whose response needs headers besides its body. */
export interface WithResponseHeaders {
  readonly responseHeaders: Readonly<Record<string, string>>;
}

export function hasResponseHeaders(err: unknown): err is WithResponseHeaders {
  return (
    typeof err === 'object' && err !== null && typeof (err as Partial<WithResponseHeaders>).responseHeaders === 'object'
  );
}

/** No usable Bearer token: missing, malformed, unknown, revoked or expired. */
export class BearerAuthRequiredError extends UnauthorizedException implements WithResponseHeaders {
  readonly responseHeaders: Readonly<Record<string, string>>;

  /** `invalid`: a token was presented and refused (RFC 6750 `error="invalid_token"`). */
  constructor(readonly invalid: boolean) {
    super(
      invalid
        ? 'The access token is invalid, revoked or expired'
        : 'Authentication required: send Authorization: Bearer <access token>',
    );
    this.responseHeaders = {
      'WWW-Authenticate': invalid ? 'Bearer realm="git-sync", error="invalid_token"' : 'Bearer realm="git-sync"',
    };
  }
}

export class TooManyAuthFailuresError extends HttpException implements WithResponseHeaders {
  readonly responseHeaders: Readonly<Record<string, string>>;

  constructor(readonly retryAfterSeconds: number) {
    const message = `Too many failed authentication attempts; retry in ${retryAfterSeconds} s`;
    super(
      { statusCode: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message },
      HttpStatus.TOO_MANY_REQUESTS,
    );
    this.responseHeaders = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/** Authenticated, but the route or the space needs a role the caller lacks. */
export class ApiForbiddenError extends ForbiddenException {
  constructor(readonly needed: string) {
    super(`This needs ${needed}`);
  }
}
