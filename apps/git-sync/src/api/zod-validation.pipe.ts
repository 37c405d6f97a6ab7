import { Injectable, type PipeTransform } from '@nestjs/common';
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import { RequestValidationError, type ValidationIssue } from './request-validation.error';

function toIssues(issue: ZodIssue, root: string): ValidationIssue[] {
  const field = issue.path.length > 0 ? issue.path.join('.') : root;
  // An unknown key is reported on the key itself, so the caller sees which field to drop.
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    const prefix = issue.path.length > 0 ? `${field}.` : '';
    return issue.keys.map((key) => ({ field: `${prefix}${key}`, message: 'is not an allowed field' }));
  }
  return [{ field, message: issue.message }];
}

/**
 * Parses a request part (body or path params) with a zod schema and hands
 * the parsed value to the handler, or rejects the request with a 400 that
 * names every offending field. Runs before the handler, so a rejected
 * request never reaches the stores.
 */
@Injectable()
export class ZodValidationPipe<S extends ZodTypeAny> implements PipeTransform<unknown, z.output<S>> {
  /** `root` names the value itself when the whole of it is wrong (a missing body, say); it is also the part it validates. */
  constructor(
    readonly schema: S,
    readonly root: 'body' | 'params' | 'query' = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    // A generic S types the result as any; it is S's output.
    const parsed = this.schema.safeParse(value) as z.SafeParseReturnType<unknown, z.output<S>>;
    if (parsed.success) return parsed.data;
    throw new RequestValidationError(parsed.error.issues.flatMap((issue) => toIssues(issue, this.root)));
  }
}

/** Validates a request body. */
export const body = <S extends ZodTypeAny>(schema: S) => new ZodValidationPipe(schema, 'body');
/** Validates the path parameters as one object, so each failure is named after its parameter. */
export const params = <S extends ZodTypeAny>(schema: S) => new ZodValidationPipe(schema, 'params');
/** Validates the query string as one object. */
export const query = <S extends ZodTypeAny>(schema: S) => new ZodValidationPipe(schema, 'query');
