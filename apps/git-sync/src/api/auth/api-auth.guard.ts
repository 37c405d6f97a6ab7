import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AccountStore, CredentialChecker, parseBearerAuthorization, type User } from '../../accounts';
import { SpaceNotFoundError } from '../../pages';
import { isUuid } from '../../pages/uuid';
import { API_ACCESS, type ApiAccessRule, PRINCIPAL } from './api-access.decorator';
import { ApiForbiddenError, BearerAuthRequiredError, TooManyAuthFailuresError } from './api-auth.errors';

type GuardedRequest = FastifyRequest & { [PRINCIPAL]?: User; params: Record<string, string | undefined> };

/**
 * Bearer authentication and role checks for the API. Runs before the
 * validation pipes: a caller without a token learns nothing, not even
 * whether their body was valid. A space the caller is not a member of is
 * answered exactly like an unknown space.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(CredentialChecker) private readonly credentials: CredentialChecker,
    @Inject(AccountStore) private readonly accounts: AccountStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const header = request.headers.authorization;
    const token = parseBearerAuthorization(header);
    const check = await this.credentials.check(
      token === undefined ? undefined : { token },
      header !== undefined,
      request.ip,
    );
    if (!check.ok) {
      if (check.reason === 'throttled') throw new TooManyAuthFailuresError(check.retryAfterSeconds);
      throw new BearerAuthRequiredError(check.reason === 'invalid');
    }
    const user = check.user;
    request[PRINCIPAL] = user;

    const rule =
      this.reflector.getAllAndOverride<ApiAccessRule | undefined>(API_ACCESS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'admin';
    if (user.admin || rule === 'user') return true;
    if (rule === 'admin') throw new ApiForbiddenError('an admin');
    if (rule === 'self') {
      // Stored ids are lower-case; the pipe accepts either case.
      if (request.params.userId?.toLowerCase() === user.id) return true;
      throw new ApiForbiddenError('an admin, or the user themselves');
    }
    const spaceId = request.params.spaceId;
    // A malformed id is left to the validation pipe, whose 400 names the field.
    if (!isUuid(spaceId)) return true;
    const role = await this.accounts.getRole(spaceId, user.id);
    if (!role) throw new SpaceNotFoundError(spaceId);
    if (rule.space === 'write' && role !== 'write') throw new ApiForbiddenError('write access to this space');
    return true;
  }
}
