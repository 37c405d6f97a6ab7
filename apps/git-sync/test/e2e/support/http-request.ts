import { request as httpRequest } from 'node:http';

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The loopback source address to connect from (any of 127.0.0.0/8 on Linux), so the server sees distinct clients. */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request with what fetch() will not do: a chosen source address
 * and any `Host` header. Bounded in time, like every request in the suites.
 */
export function rawRequest(
  url: string,
  { method = 'GET', headers = {}, body, localAddress }: RawRequest = {},
  timeoutMs = 30_000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress,
        headers: { ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export const basicAuth = (username: string, token: string) =>
  `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;
export const bearerAuth = (token: string) => `Bearer ${token}`;
