import { EngineError } from '../common/engine.error';

/**
 * A lock holder's write was refused because a holder with a higher fencing token has already
 * written to the space: the writer lost the lock (paused past its lease, or cut off from Redis)
 * and must stop. Nothing of the refused write was applied.
 */
export class StaleFencingTokenError extends EngineError {
  constructor(
    readonly spaceId: string,
    /** The token the refused write carried. */
    readonly token: number,
    /** The highest token that has written to the space. */
    readonly currentToken: number,
  ) {
    super(
      `write to space ${spaceId} refused: fencing token ${token} is older than ${currentToken}, which has already written; the lock was lost`,
    );
  }
}
