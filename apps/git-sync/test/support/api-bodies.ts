import type { z } from 'zod';
import type {
  accessTokenInfoResponse,
  conflictResponse,
  errorResponse,
  gitSyncStatusResponse,
  issuedTokenResponse,
  membershipResponse,
  pageNodeResponse,
  pageResponse,
  runOnceResultResponse,
  spaceResponse,
  userResponse,
} from '../../src/api/responses.schemas';

// The JSON the API answers, as its OpenAPI schemas describe it, so tests read parsed bodies typed.

export type ErrorBody = z.infer<typeof errorResponse>;
export type SpaceBody = z.infer<typeof spaceResponse>;
export type PageNodeBody = z.infer<typeof pageNodeResponse>;
export type PageBody = z.infer<typeof pageResponse>;
export type UserBody = z.infer<typeof userResponse>;
export type IssuedTokenBody = z.infer<typeof issuedTokenResponse>;
export type AccessTokenInfoBody = z.infer<typeof accessTokenInfoResponse>;
export type MembershipBody = z.infer<typeof membershipResponse>;
export type ConflictBody = z.infer<typeof conflictResponse>;
export type RunOnceResultBody = z.infer<typeof runOnceResultResponse>;
export type GitSyncStatusBody = z.infer<typeof gitSyncStatusResponse>;
