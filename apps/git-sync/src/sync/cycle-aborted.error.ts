import { EngineError } from '../common/engine.error';
import type { CycleStep } from './cycle-status';

export class CycleAbortedError extends EngineError {
  constructor(
    readonly spaceId: string,
    /** The last step completed before the abort was noticed. */
    readonly afterStep: CycleStep | 'start',
    readonly reason: unknown,
  ) {
    super(`cycle for space ${spaceId} aborted after ${afterStep}`, { cause: reason });
  }
}
