import { Module } from '@nestjs/common';
import { OpenApiController } from './openapi.controller';

/** The OpenAPI document of the API; Swagger UI is registered on Fastify by `serveSwaggerUi`. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
