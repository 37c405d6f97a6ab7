import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { MODULE_METADATA } from '@nestjs/common/constants';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiModule } from '../api.module';
import { buildOpenApiDocument } from './openapi-document';

export const OPENAPI_PATH = '/api/openapi.json';
export const SWAGGER_UI_PATH = '/api/docs';

let built: ReturnType<typeof buildOpenApiDocument> | undefined;

/** The document of every controller of the API module; built once, as the routes never change at run time. */
export function apiDocument(): ReturnType<typeof buildOpenApiDocument> {
  if (!built) {
    const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) ?? []) as Type<unknown>[];
    // Same depth under src/ and dist/: apps/git-sync/package.json.
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
      version: string;
    };
    built = buildOpenApiDocument(controllers, { version });
  }
  return built;
}

/** Swagger UI at `/api/docs`, reading the same document. Registered before the server listens. */
export async function serveSwaggerUi(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifySwagger, { mode: 'static', specification: { document: apiDocument() as never } });
  await app.register(fastifySwaggerUi, { routePrefix: SWAGGER_UI_PATH, uiConfig: { url: OPENAPI_PATH } });
}
