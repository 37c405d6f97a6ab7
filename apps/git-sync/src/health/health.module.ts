import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyHealthIndicator } from './dependency-health.indicator';
import { HealthController } from './health.controller';

/** `GET /health/live` and `GET /health/ready`. Needs the engine (global) and, when configured, Redis. */
@Module({
  // Terminus logs a failed check's whole error by default; the indicator already said what is down.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false })],
  controllers: [HealthController],
  providers: [DependencyHealthIndicator],
})
export class HealthModule {}
