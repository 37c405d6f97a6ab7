export { Access, Principal, PRINCIPAL, API_ACCESS, type ApiAccessRule } from './api-access.decorator';
export { ApiAuthGuard } from './api-auth.guard';
export {
  ApiForbiddenError,
  BearerAuthRequiredError,
  TooManyAuthFailuresError,
  hasResponseHeaders,
  type WithResponseHeaders,
} from './api-auth.errors';
