import { EngineError } from '../common/engine.error';

export class GitNotFoundError extends EngineError {
  constructor(
    readonly binary: string,
    cause?: unknown,
  ) {
    super(`the git executable "${binary}" was not found on PATH`, { cause });
  }
}
