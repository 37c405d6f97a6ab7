import { MODULE_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { Type } from '@nestjs/common';
import { ApiModule } from '../../src/api/api.module';
import { declaredRoutes } from '../../src/api/openapi/openapi-document';
import { ZodValidationPipe } from '../../src/api/zod-validation.pipe';
import { startDemoServer, type DemoServer } from './support/e2e-env';

interface Operation {
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } & Record<string, unknown> }> }>;
  security?: Record<string, unknown>[];
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** Which request parts a handler validates with zod: 'body', 'params', 'query'. */
function validatedParts(controller: Type<unknown>, handler: string): string[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<
    string,
    { pipes?: unknown[] }
  >;
  return Object.values(args).flatMap((a) =>
    (a.pipes ?? []).filter((p): p is ZodValidationPipe<never> => p instanceof ZodValidationPipe).map((p) => p.root),
  );
}

/** The document and Swagger UI, fetched from the running server without credentials. */
describe('OpenAPI document end to end', () => {
  let demo: DemoServer;
  let doc: OpenApiDocument;
  let text: string;

  beforeAll(async () => {
    demo = await startDemoServer('openapi', 'pglite', { GIT_SYNC_POLL_INTERVAL_MS: '0' });
    const res = await fetch(`${demo.server.baseUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    text = await res.text();
    doc = JSON.parse(text) as OpenApiDocument;
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it('describes every route the API controllers declare, with its parameters, body, responses and errors', () => {
    const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) as Type<unknown>[];
    const routes = declaredRoutes(controllers);
    expect(routes.length).toBeGreaterThanOrEqual(25);
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect({ name, described: op !== undefined }).toEqual({ name, described: true });
      const parts = validatedParts(route.controller, route.handler);
      const pathParams = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]).sort();
      expect({
        name,
        pathParams: (op.parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort(),
      }).toEqual({ name, pathParams });
      expect({ name, body: op.requestBody?.content['application/json']?.schema !== undefined }).toEqual({
        name,
        body: parts.includes('body'),
      });
      if (parts.includes('query')) expect((op.parameters ?? []).some((p) => p.in === 'query')).toBe(true);
      const [success, ...others] = Object.keys(op.responses).sort();
      expect({ name, success: Number(success) < 300 }).toEqual({ name, success: true });
      if (success !== '204')
        expect({ name, schema: op.responses[success].content?.['application/json']?.schema !== undefined }).toEqual({
          name,
          schema: true,
        });
      for (const code of ['401', '429', '503', ...(parts.length > 0 ? ['400'] : [])])
        expect({ name, code, has: others.includes(code) }).toEqual({ name, code, has: true });
      for (const code of others)
        expect(op.responses[code].content?.['application/json']?.schema.$ref).toBe('#/components/schemas/Error');
      expect(op.security).toEqual([{ bearer: [] }]);
    }
  });

  it('names its response schemas as components, and the Bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'Page', 'PageNode', 'Space', 'User', 'Conflict', 'GitSyncStatus']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(
      doc.paths['/api/spaces/{spaceId}/pages/{pageId}'].get.responses['200'].content?.['application/json'].schema.$ref,
    ).toBe('#/components/schemas/Page');
    // A body schema is the validation schema itself: the page title's bounds are there.
    const create = doc.paths['/api/spaces/{spaceId}/pages'].post.requestBody?.content['application/json'].schema as {
      required?: string[];
      additionalProperties?: boolean;
    };
    expect(create.required).toEqual(['title']);
    expect(create.additionalProperties).toBe(false);
  });

  it('needs no credentials and holds nothing of the deployment', () => {
    for (const secret of [demo.demo.token, demo.demo.spaceId, demo.env.dataDir, String(demo.server.port), '127.0.0.1'])
      expect(text).not.toContain(secret);
  });

  it('serves Swagger UI at /api/docs, reading the same document', async () => {
    const res = await fetch(`${demo.server.baseUrl}/api/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
    const init = await fetch(`${demo.server.baseUrl}/api/docs/static/swagger-initializer.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('/api/openapi.json');
  });
});
