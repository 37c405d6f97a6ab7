import { EngineError } from '../common/engine.error';

/** A write named the revision it was based on, and the page has moved past it. */
export class StaleRevisionError extends EngineError {
  constructor(
    readonly spaceId: string,
    readonly pageId: string,
    readonly expectedRevision: number,
    readonly currentRevision: number,
  ) {
    super(`page ${pageId} is at revision ${currentRevision}, not ${expectedRevision}; read it again and retry`);
  }
}
