/** The composed engine (`Engine` from engine.ts): page store, sync engine, git, database. */
export const ENGINE = Symbol('ENGINE');
