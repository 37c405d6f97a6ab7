import { EngineError } from '../common/engine.error';

export class GitTimeoutError extends EngineError {
  constructor(
    readonly args: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(`git ${args.join(' ')} did not finish within ${timeoutMs} ms and was killed`);
  }
}
