import { BadRequestException } from '@nestjs/common';

export interface ValidationIssue {
  /** Dotted path of the offending field (`title`, `spaceId`); `body` when the body as a whole is wrong. */
  readonly field: string;
  readonly message: string;
}

export interface ValidationErrorBody {
  readonly statusCode: 400;
  readonly error: 'Bad Request';
  readonly message: string;
  readonly issues: readonly ValidationIssue[];
}

/** A request whose body or path did not match its schema; nothing was written. */
export class RequestValidationError extends BadRequestException {
  constructor(readonly issues: readonly ValidationIssue[]) {
    const body: ValidationErrorBody = {
      statusCode: 400,
      error: 'Bad Request',
      message: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
      issues,
    };
    super(body);
  }
}
