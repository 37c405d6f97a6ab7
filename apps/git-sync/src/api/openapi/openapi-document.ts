import {
  extendZodWithOpenApi,
  OpenApiGeneratorV3,
  OpenAPIRegistry,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { HttpStatus, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { z, type AnyZodObject, type ZodTypeAny } from 'zod';
import { API_ACCESS, type ApiAccessRule } from '../auth/api-access.decorator';
import * as responses from '../responses.schemas';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { API_DOC, type ApiDocOptions } from './api-doc.decorator';

// `.openapi()` on zod's prototype is how the generator names components.
extendZodWithOpenApi(z);

/** A route as Nest declares it: `METHOD /path` with `:params`. */
export interface DeclaredRoute {
  method: string;
  path: string;
  controller: Type<unknown>;
  handler: string;
}

export class MissingApiDocError extends Error {
  constructor(readonly route: string) {
    super(`${route} has no @ApiDoc: every API route is described in the OpenAPI document`);
    this.name = new.target.name;
  }
}

const COMPONENTS: Record<string, ZodTypeAny> = {
  Error: responses.errorResponse,
  Space: responses.spaceResponse,
  PageNode: responses.pageNodeResponse,
  Page: responses.pageResponse,
  User: responses.userResponse,
  IssuedToken: responses.issuedTokenResponse,
  AccessTokenInfo: responses.accessTokenInfoResponse,
  Membership: responses.membershipResponse,
  Conflict: responses.conflictResponse,
  RunOnceResult: responses.runOnceResultResponse,
  GitSyncStatus: responses.gitSyncStatusResponse,
};

const ERROR_TEXT: Record<number, string> = {
  400: 'A parameter or the body is invalid; `issues` names each field',
  401: 'No token, or a malformed, unknown, revoked or expired one (`WWW-Authenticate: Bearer`)',
  403: 'The caller may not do this',
  404: 'No such resource, or one the caller is not a member of',
  409: 'The change conflicts with the current state',
  412: '`If-Match` names a revision the page is no longer at',
  415: 'The body is not `application/json`',
  429: 'Too many failed logins from this address (`Retry-After`)',
  503: 'The database is unreachable or the server is shutting down (`Retry-After`)',
};

const ACCESS_TEXT = (rule: ApiAccessRule): string =>
  typeof rule === 'object'
    ? `Who: a member of the space with the \`${rule.space}\` role or more, or an admin.`
    : { admin: 'Who: admins.', user: 'Who: any user.', self: 'Who: the user named in the path, or an admin.' }[rule];

/** Every handler the controllers declare, read from Nest's own metadata. */
export function declaredRoutes(controllers: readonly Type<unknown>[]): DeclaredRoute[] {
  return controllers.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    return Object.getOwnPropertyNames(controller.prototype).flatMap((handler) => {
      const fn = (controller.prototype as Record<string, unknown>)[handler];
      if (typeof fn !== 'function' || handler === 'constructor') return [];
      const path = Reflect.getMetadata(PATH_METADATA, fn) as string | undefined;
      if (path === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod];
      return [{ method, path: `/${[base, path].filter((p) => p !== '/' && p !== '').join('/')}`, controller, handler }];
    });
  });
}

function zodPipes(route: DeclaredRoute): Partial<Record<ZodValidationPipe<ZodTypeAny>['root'], ZodTypeAny>> {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.handler) ?? {}) as Record<
    string,
    { pipes?: unknown[] }
  >;
  const found: Partial<Record<ZodValidationPipe<ZodTypeAny>['root'], ZodTypeAny>> = {};
  for (const arg of Object.values(args)) {
    for (const pipe of arg.pipes ?? [])
      if (pipe instanceof ZodValidationPipe) found[pipe.root] = pipe.schema as ZodTypeAny;
  }
  return found;
}

/**
 * The OpenAPI 3 document of the API controllers, built from the same zod
 * schemas that validate the requests, and the response schemas.
 */
export function buildOpenApiDocument(
  controllers: readonly Type<unknown>[],
  info: { version: string },
): ReturnType<OpenApiGeneratorV3['generateDocument']> {
  const registry = new OpenAPIRegistry();
  const refs = new Map<ZodTypeAny, ZodTypeAny>();
  for (const [name, schema] of Object.entries(COMPONENTS)) refs.set(schema, registry.register(name, schema));
  const ref = (schema: ZodTypeAny): ZodTypeAny => {
    if (schema instanceof z.ZodArray) return z.array(ref(schema.element as ZodTypeAny));
    return refs.get(schema) ?? schema;
  };
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An access token (`gst_…`): from the first-run banner, `create-admin`, or `POST /api/users/{userId}/tokens`',
  });
  const error = (status: number) => ({
    description: ERROR_TEXT[status],
    content: { 'application/json': { schema: ref(responses.errorResponse) } },
  });

  for (const route of declaredRoutes(controllers)) {
    const name = `${route.method} ${route.path}`;
    const fn = (route.controller.prototype as Record<string, unknown>)[route.handler] as object;
    const doc = Reflect.getMetadata(API_DOC, fn) as ApiDocOptions | undefined;
    if (!doc) throw new MissingApiDocError(name);
    const rule = (Reflect.getMetadata(API_ACCESS, fn) ??
      Reflect.getMetadata(API_ACCESS, route.controller) ??
      'admin') as ApiAccessRule;
    const pipes = zodPipes(route);
    const status: HttpStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, fn) as HttpStatus | undefined) ??
      (route.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const errors = new Set<number>([401, 429, 503, ...(doc.errors ?? [])]);
    if (pipes.body || pipes.params || pipes.query) errors.add(400);
    if (rule !== 'user') errors.add(403);
    if (route.path.includes(':')) errors.add(404);
    if (pipes.body) errors.add(415);
    if (doc.revisioned) errors.add(412);
    const etag = doc.revisioned
      ? { headers: { ETag: { description: 'The page revision, for `If-Match`', schema: { type: 'string' as const } } } }
      : {};
    const success =
      status === HttpStatus.NO_CONTENT
        ? { description: 'Done' }
        : {
            description: 'Success',
            ...etag,
            content: { 'application/json': { schema: ref(doc.response ?? z.unknown()) } },
          };
    const config: RouteConfig = {
      method: route.method.toLowerCase() as RouteConfig['method'],
      path: route.path.replace(/:([A-Za-z]+)/g, '{$1}'),
      summary: doc.summary,
      description: ACCESS_TEXT(rule),
      tags: [route.path.split('/')[2] ?? 'api'],
      security: [{ [bearer.name]: [] }],
      request: {
        ...(pipes.params ? { params: pipes.params as AnyZodObject } : {}),
        ...(pipes.query ? { query: pipes.query as AnyZodObject } : {}),
        ...(doc.revisioned && route.method !== 'GET'
          ? {
              headers: z.object({
                'if-match': z.string().optional().openapi({ description: 'The ETag read; `*` matches any live page' }),
              }),
            }
          : {}),
        ...(pipes.body ? { body: { required: true, content: { 'application/json': { schema: pipes.body } } } } : {}),
      },
      responses: {
        [status]: success,
        ...Object.fromEntries([...errors].sort().map((code) => [code, error(code)])),
      },
    };
    registry.registerPath(config);
  }

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'git-sync API',
      version: info.version,
      description:
        'Spaces, pages, users, tokens, membership, conflicts and the sync status. Every route takes `Authorization: Bearer <token>`.',
    },
  });
}
