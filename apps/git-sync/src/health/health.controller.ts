import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { DependencyHealthIndicator } from './dependency-health.indicator';

/**
 * Probes for load balancers and orchestrators; neither needs credentials.
 * Liveness touches no dependency on purpose: a dependency outage must make
 * replicas unready, not get them all restarted at once.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(DependencyHealthIndicator) private readonly dependencies: DependencyHealthIndicator,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when every dependency answers; 503 naming each one that does not. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.dependencies.database(),
      () => this.dependencies.redisStore(),
      () => this.dependencies.dataDir(),
      () => this.dependencies.git(),
    ]);
  }
}
