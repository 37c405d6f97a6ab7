import { EngineError } from '../common/engine.error';

export class InvalidPageParentError extends EngineError {
  constructor(
    readonly spaceId: string,
    readonly pageId: string,
    readonly parentPageId: string,
    readonly reason: 'not-found' | 'cycle',
  ) {
    super(
      reason === 'cycle'
        ? `page ${pageId} cannot be moved under its own descendant ${parentPageId}`
        : `parent page ${parentPageId} does not exist in space ${spaceId}`,
    );
  }
}
