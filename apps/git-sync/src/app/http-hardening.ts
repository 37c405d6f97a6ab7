import proxyAddr from '@fastify/proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { GitSyncConfig } from '../config';

/** Fastify's options that follow from the configuration: which proxies may name the client address. */
export function fastifyOptions(config: GitSyncConfig): FastifyServerOptions {
  const { trustProxy } = config;
  if (trustProxy === false) return {};
  return { trustProxy: typeof trustProxy === 'number' ? trustProxy : [...trustProxy] };
}

/**
 * The client address as Fastify computes `request.ip`, for code that sees
 * only the raw request (the HTTP request log): the socket's address, or with
 * `GIT_SYNC_TRUST_PROXY` the first untrusted `X-Forwarded-For` hop.
 */
export function clientAddressResolver(config: GitSyncConfig): (req: IncomingMessage) => string | undefined {
  const { trustProxy } = config;
  if (trustProxy === false) return (req) => req.socket?.remoteAddress;
  const trust =
    typeof trustProxy === 'number'
      ? (_addr: string, hop: number) => hop < trustProxy
      : proxyAddr.compile([...trustProxy]);
  return (req) => (req.socket ? proxyAddr(req, trust) : undefined);
}

/** The host name of a `Host` header, without its port, lower-case; undefined when there is none. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const colons = value.split(':').length - 1;
  // One colon separates a port; more is a bare IPv6 address, which has none.
  const name = colons === 1 ? value.slice(0, value.indexOf(':')) : value;
  return name.replace(/\.$/, '');
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether a mutating API request may go on: its body must be JSON, or absent.
 * Browsers send form and text/plain bodies cross-site without a preflight,
 * and those are exactly what CSRF uses, so nothing but JSON gets through.
 */
export function acceptsApiBody(method: string, headers: IncomingMessage['headers']): boolean {
  if (!MUTATING.has(method)) return true;
  const type = headers['content-type'];
  if (type === undefined)
    return headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0';
  return /^application\/json\s*(;|$)/i.test(type);
}
