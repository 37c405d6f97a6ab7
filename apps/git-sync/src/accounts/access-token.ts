import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'gst_';

/** A new access token: 256 random bits, prefixed so that leaked tokens are easy to grep for. */
export function generateAccessToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What is stored instead of the token. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
