import { SetMetadata } from '@nestjs/common';
import type { ZodTypeAny } from 'zod';

export const API_DOC = Symbol('API_DOC');

/** Errors every route can answer with are derived; these are the ones only some routes have. */
export type RouteSpecificError = 409 | 412;

export interface ApiDocOptions {
  summary: string;
  /** The success body; none for a 204. */
  response?: ZodTypeAny;
  errors?: readonly RouteSpecificError[];
  /** The route reads `If-Match` and answers with an `ETag`. */
  revisioned?: boolean;
}

/**
 * What the OpenAPI document says of a route, beside what Nest already knows
 * (path, method, status, the zod pipes of its params, query and body). The
 * document refuses to build if an API route lacks it.
 */
export const ApiDoc = (options: ApiDocOptions) => SetMetadata(API_DOC, options);
