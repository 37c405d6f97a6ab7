import { EngineError } from '../common/engine.error';

export class GitCommandError extends EngineError {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${exitCode}: ${stderr.trim().slice(0, 500)}`);
  }
}
