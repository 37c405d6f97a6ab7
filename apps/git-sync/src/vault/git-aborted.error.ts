import { EngineError } from '../common/engine.error';

/** A git command was killed because its caller's signal aborted (the space's lock was lost). */
export class GitAbortedError extends EngineError {
  constructor(
    readonly args: readonly string[],
    /** The signal's reason, typically the lock's LockLostError. */
    readonly reason: unknown,
  ) {
    super(`git ${args[0] === '-C' ? (args[2] ?? '') : (args[0] ?? '')} killed: its signal aborted`, { cause: reason });
  }
}
