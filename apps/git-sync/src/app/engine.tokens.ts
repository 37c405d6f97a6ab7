/** The composed engine (`Engine` from engine.ts): page store, sync engine, git, database. */
export const ENGINE = Symbol('ENGINE');
/** The root pino logger; components take children of it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
