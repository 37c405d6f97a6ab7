import { Controller, Get, Header } from '@nestjs/common';
import { apiDocument } from './api-docs';

/**
 * `GET /api/openapi.json`, without credentials: it describes the routes and
 * their shapes, as the README does, and holds no configuration, no host, no
 * id and no secret.
 */
@Controller('api')
export class OpenApiController {
  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  document(): ReturnType<typeof apiDocument> {
    return apiDocument();
  }
}
