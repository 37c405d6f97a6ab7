import { EngineError } from '../common/engine.error';

export class ConflictNotFoundError extends EngineError {
  constructor(
    readonly spaceId: string,
    readonly conflictId: string,
  ) {
    super(`conflict ${conflictId} does not exist in space ${spaceId}`);
  }
}
