export { ApiModule } from './api.module';
export { ApiExceptionFilter, toApiError, type ApiErrorBody } from './api-exception.filter';
export { ZodValidationPipe } from './zod-validation.pipe';
export { RequestValidationError, type ValidationIssue, type ValidationErrorBody } from './request-validation.error';
export { AccessTokenNotFoundError } from './access-token-not-found.error';
export { MembershipNotFoundError } from './membership-not-found.error';
