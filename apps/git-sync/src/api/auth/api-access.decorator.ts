import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { SpaceRole, User } from '../../accounts';

/**
 * Who may call a route:
 * - `admin`: admins only (the default for a route that names no rule);
 * - `user`: any authenticated user, the handler narrows what they see;
 * - `self`: the user named by the `:userId` parameter, or an admin;
 * - `{ space: role }`: members of the `:spaceId` space with at least that role, or an admin.
 */
export type ApiAccessRule = 'admin' | 'user' | 'self' | { readonly space: SpaceRole };

export const API_ACCESS = Symbol('API_ACCESS');

/** Sets the access rule of a controller or a handler; a handler's overrides its controller's. */
export const Access = (rule: ApiAccessRule) => SetMetadata(API_ACCESS, rule);

/** Where the guard leaves the authenticated user on the request. */
export const PRINCIPAL = Symbol('principal');

/** The authenticated caller, as the guard found them. */
export const Principal = createParamDecorator((_data: unknown, context: ExecutionContext): User => {
  const request = context.switchToHttp().getRequest<{ [PRINCIPAL]?: User }>();
  const user = request[PRINCIPAL];
  // The guard runs before every handler of a guarded controller; a handler without it is a wiring mistake.
  if (!user) throw new Error('@Principal() used on a route without ApiAuthGuard');
  return user;
});
