/** The subset of a pino logger the engine uses, so any pino instance (or a child) can be passed. */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => undefined;
export const silentLogger: EngineLogger = { debug: noop, info: noop, warn: noop, error: noop };
