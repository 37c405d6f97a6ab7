import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config';

export const REDACTED = '[REDACTED]';

/** Header fields that carry credentials, wherever a request or response is logged. */
const REDACT_PATHS = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-api-key'].flatMap((name) => [
  `req.headers["${name}"]`,
  `res.headers["${name}"]`,
  `headers["${name}"]`,
  `*.headers["${name}"]`,
]);

const SECRETS: readonly [RegExp, string][] = [
  // Our access tokens, wherever they appear: URLs, messages, error text.
  [/gst_[A-Za-z0-9_-]+/g, `gst_${REDACTED}`],
  // Credentials of any scheme quoted from a header, e.g. in an error message.
  [/\b(Basic|Bearer)( |%20)+[A-Za-z0-9+/=._~%-]+/gi, `$1 ${REDACTED}`],
  // The password in a URL's userinfo (redis://, postgres://, http://user:token@).
  [/(:\/\/[^/\s"@:]*):[^/\s"@]*@/g, `$1:${REDACTED}@`],
];

/** The line with every credential-looking part replaced by `[REDACTED]`. */
export function scrubSecrets(line: string): string {
  let out = line;
  for (const [pattern, replacement] of SECRETS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * The server's pino logger. Two layers keep secrets out, at every level:
 * `redact` blanks credential headers in structured fields, and every line
 * is scrubbed of tokens and URL passwords just before it is written, which
 * also covers free text (messages, error stacks, git's stderr) that no
 * redact path can name.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination(1)): Logger {
  const scrubbed: DestinationStream = { write: (line: string) => destination.write(scrubSecrets(line)) };
  return pino({ level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: REDACTED } }, scrubbed);
}

/**
 * Where the server's log goes: JSON lines on stdout, or, for a person at a
 * terminal, one readable line per entry (errors keep their stack). Pretty
 * printing is synchronous, so it stays in order with the banner written to
 * stdout directly. Either way the lines are scrubbed first (`createLogger`).
 */
export function logDestination(format: Exclude<LogFormat, 'auto'>): DestinationStream {
  if (format === 'json') return pino.destination(1);
  return pinoPretty({
    destination: 1,
    sync: true,
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,context,component',
  });
}

/** `auto` is pretty when stdout is a terminal, and JSON otherwise (containers, files, log shippers). */
export function resolveLogFormat(
  format: LogFormat,
  isTty: boolean | undefined = process.stdout.isTTY,
): Exclude<LogFormat, 'auto'> {
  if (format !== 'auto') return format;
  return isTty === true ? 'pretty' : 'json';
}
