export interface BasicCredentials {
  username: string;
  password: string;
}

/** Parses an HTTP Basic `Authorization` header; undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 token68 syntax); undefined when absent or malformed. */
export function parseBearerAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header)?.[1];
}
