import { EngineError } from '../common/engine.error';

export class PageNotFoundError extends EngineError {
  constructor(
    readonly spaceId: string,
    readonly pageId: string,
  ) {
    super(`page ${pageId} does not exist in space ${spaceId}`);
  }
}
