import { applyDecorators, Controller, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExceptionFilter } from './api-exception.filter';
import { ApiAuthGuard } from './auth';

/**
 * A controller of the JSON API at `path`: every route requires credentials
 * (admins only, unless an `@Access` rule says otherwise) and answers errors
 * in the API's one error shape.
 */
export function ApiController(path: string): ClassDecorator {
  return applyDecorators(Controller(path), UseFilters(ApiExceptionFilter), UseGuards(ApiAuthGuard));
}
