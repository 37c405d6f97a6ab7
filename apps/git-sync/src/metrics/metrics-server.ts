import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitSyncMetrics } from './git-sync-metrics';

/**
 * `/metrics` on a port of its own, so it can stay inside the cluster while
 * the API and git are published. Answers only `GET /metrics`.
 */
export class MetricsServer {
  readonly #server: Server;

  constructor(private readonly metrics: GitSyncMetrics) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        res
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          .end('Not found: only GET /metrics is served here.\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res
          .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
          .end('Only GET /metrics is served here.\n');
        return;
      }
      this.metrics.render().then(
        (text) =>
          res
            .writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' })
            .end(req.method === 'HEAD' ? undefined : text),
        () =>
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected.\n'),
      );
    });
  }

  /** Resolves with the port it listens on (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
