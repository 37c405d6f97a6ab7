import { EngineError } from '../common/engine.error';

export class MigrationFailedError extends EngineError {
  constructor(
    readonly migrationName: string | undefined,
    cause: unknown,
  ) {
    super(
      `migration ${migrationName ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
