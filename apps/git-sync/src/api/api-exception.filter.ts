import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { LastAdminError, UserNotFoundError, UsernameTakenError } from '../accounts';
import { ROOT_LOGGER } from '../common/root-logger.token';
import {
  ConflictNotFoundError,
  InvalidPageParentError,
  InvalidSpaceIdError,
  PageNotFoundError,
  SpaceNotFoundError,
  StaleRevisionError,
  isDatabaseUnavailable,
} from '../pages';
import { GitSyncLockHeldError } from '../orchestrator/git-sync-lock-held.error';
import { AccessTokenNotFoundError } from './access-token-not-found.error';
import { hasResponseHeaders } from './auth/api-auth.errors';
import { MembershipNotFoundError } from './membership-not-found.error';
import type { ValidationIssue } from './request-validation.error';

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  issues?: readonly ValidationIssue[];
}

/** Seconds a client is asked to wait when the database is out of reach; the pool reconnects on the next request. */
export const DATABASE_RETRY_AFTER_S = 1;

const NOT_FOUND = [
  SpaceNotFoundError,
  PageNotFoundError,
  UserNotFoundError,
  AccessTokenNotFoundError,
  MembershipNotFoundError,
  ConflictNotFoundError,
];

/** The domain errors a caller can act on, as HTTP; anything else is ours and is a 500. */
export function toApiError(err: unknown): ApiErrorBody | undefined {
  if (err instanceof HttpException) {
    const response = err.getResponse();
    return typeof response === 'object'
      ? { statusCode: err.getStatus(), error: err.name, message: err.message, ...response }
      : { statusCode: err.getStatus(), error: err.name, message: response };
  }
  if (NOT_FOUND.some((type) => err instanceof type)) {
    return { statusCode: 404, error: 'Not Found', message: (err as Error).message };
  }
  if (err instanceof StaleRevisionError) {
    return { statusCode: 412, error: 'Precondition Failed', message: err.message };
  }
  if (err instanceof UsernameTakenError || err instanceof LastAdminError) {
    return { statusCode: 409, error: 'Conflict', message: err.message };
  }
  if (err instanceof InvalidPageParentError) {
    const issues = [{ field: 'parentPageId', message: err.message }];
    return { statusCode: 400, error: 'Bad Request', message: `parentPageId: ${err.message}`, issues };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The database is unavailable right now; retry in a moment.',
    };
  }
  if (err instanceof GitSyncLockHeldError) {
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The space is busy with a sync or a push; retry in a moment.',
    };
  }
  if (err instanceof InvalidSpaceIdError) {
    const issues = [{ field: 'spaceId', message: 'must be a UUID' }];
    return { statusCode: 400, error: 'Bad Request', message: 'spaceId: must be a UUID', issues };
  }
  return undefined;
}

/**
 * Turns what the API's handlers throw into JSON responses. Bound to the API
 * controllers only: the git host answers git clients in its own format.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: PinoLogger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    let body = toApiError(err);
    if (body?.statusCode === 503) {
      const why = err instanceof GitSyncLockHeldError ? 'space busy' : 'database unavailable';
      this.logger.warn(
        { err: { message: (err as Error).message, code: (err as { code?: unknown }).code } },
        `api request refused: ${why}`,
      );
      void reply
        .status(503)
        .header('retry-after', String(DATABASE_RETRY_AFTER_S))
        .header('content-type', 'application/json; charset=utf-8')
        .send(body);
      return;
    }
    if (!body || body.statusCode >= 500) {
      const request = http.getRequest<FastifyRequest>();
      this.logger.error({ err, method: request.method, url: request.url }, 'api request failed');
      // The cause stays in the log: its message may name internals (SQL, paths).
      body = {
        statusCode: body?.statusCode ?? HttpStatus.INTERNAL_SERVER_ERROR,
        error: 'Internal Server Error',
        message: 'Internal server error',
      };
    }
    if (hasResponseHeaders(err)) void reply.headers(err.responseHeaders);
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
