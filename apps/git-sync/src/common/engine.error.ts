/**
 * Base of every error the engine throws on purpose, so a caller can tell an expected,
 * data-carrying failure from a bug with a single `instanceof`.
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // new.target is the class actually constructed, so every subclass is named without repeating this.
    this.name = new.target.name;
  }
}
