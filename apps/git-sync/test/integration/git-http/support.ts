import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';

import { gitOk } from '../../support/git-cli';

export { git, gitOk, type GitResult } from '../../support/git-cli';

/** A repository shaped like the engine's vault: non-bare, on `main`, accepting pushes to the checked-out branch. */
export async function createVault(home: string, path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await gitOk(home, ['init', '-q', '-b', 'main', path]);
  await gitOk(home, ['-C', path, 'config', 'receive.denyCurrentBranch', 'updateInstead']);
  await writeFile(join(path, 'README.md'), '# Space\n');
  await gitOk(home, ['-C', path, 'add', 'README.md']);
  await gitOk(home, ['-C', path, 'commit', '-q', '-m', 'Initial page']);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request with the path sent exactly as given: unlike fetch, node:http does
 * not normalise `..` or re-encode, which the path checks need.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: Buffer; keepOpen?: boolean },
): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    // A body left open simulates a client that never finishes its upload.
    if (!options.keepOpen) req.end();
  });
}

/** One pkt-line: four hex digits of length, then the payload. */
export function pktLine(payload: string): string {
  return (payload.length + 4).toString(16).padStart(4, '0') + payload;
}
