// SQLSTATE classes and codes that mean the connection, not the statement,
// failed: 08 connection exceptions, 57P01-57P03 (terminated by an
// administrator, crash shutdown, cannot connect now), 53300 (too many
// connections). Retrying later on a fresh connection can succeed.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// node-postgres reports a socket that closed under a query only by message.
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error)/i;

/**
 * True when `err` (or its cause) says the database could not be reached or
 * dropped the connection, as opposed to refusing the statement itself. Such
 * a request can be answered "try again" (503) instead of "broken" (500).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let current = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    if (UNAVAILABLE_MESSAGE.test(current.message)) return true;
    if (current instanceof AggregateError && current.errors.some((e) => isDatabaseUnavailable(e))) return true;
  }
  return false;
}
