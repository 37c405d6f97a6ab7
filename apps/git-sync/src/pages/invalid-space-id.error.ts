import { EngineError } from '../common/engine.error';

export class InvalidSpaceIdError extends EngineError {
  constructor(readonly spaceId: unknown) {
    super(`space id ${JSON.stringify(spaceId)} is not a uuid`);
  }
}
