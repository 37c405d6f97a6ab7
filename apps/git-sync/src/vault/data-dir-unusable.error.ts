import { EngineError } from '../common/engine.error';

export class DataDirUnusableError extends EngineError {
  constructor(
    readonly dataDir: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`data directory ${dataDir} cannot be used: ${reason}`, { cause });
  }
}
