/** The root pino logger; components take children of it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
