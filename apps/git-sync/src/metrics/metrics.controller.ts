import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GitSyncMetrics } from './git-sync-metrics';

/**
 * `GET /metrics` on the server's own port, when `GIT_SYNC_METRICS` is on and
 * no `GIT_SYNC_METRICS_PORT` is given. No credentials, as Prometheus scrapes
 * it: nothing in it is a secret, and space ids appear only with the opt-in
 * per-space gauge.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(GitSyncMetrics) private readonly metrics: GitSyncMetrics) {}

  @Get()
  @Header('cache-control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.metrics.render();
    void reply.header('content-type', this.metrics.contentType).send(text);
  }
}
