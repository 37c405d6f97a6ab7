import { EngineError } from '../common/engine.error';

export class SpaceNotFoundError extends EngineError {
  constructor(readonly spaceId: string) {
    super(`space ${spaceId} does not exist`);
  }
}
