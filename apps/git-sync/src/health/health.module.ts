import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyHealthIndicator } from './dependency-health.indicator';
import { HealthController } from './health.controller';

/** `GET /health/live` and `GET /health/ready`. */
@Module({
  // Terminus logs a failed check's whole error by default; the indicator already said what is down.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false })],
  controllers: [HealthController],
  providers: [DependencyHealthIndicator],
})
export class HealthModule {
  /**
   * @param imports Modules that export `DATABASE`, `GitRunner` and
   *   `GIT_SYNC_CONFIG`; Redis, when configured, is `RedisModule`'s (global).
   */
  static forRoot({ imports }: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return { module: HealthModule, imports };
  }
}
