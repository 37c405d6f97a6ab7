import { UnexpectedReplyError } from '../errors/unexpected-reply.error';

/**
 * An integer reply as ioredis hands it over: a number by default, a decimal
 * string when the client was made with `stringNumbers: true` (RESP has one
 * integer type; the client chooses how to show it). Anything else rejects.
 */
export function integerReply(command: string, reply: unknown): number {
  if (typeof reply === 'number' && Number.isSafeInteger(reply)) return reply;
  if (typeof reply === 'string' && /^-?\d{1,16}$/.test(reply)) {
    const n = Number(reply);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new UnexpectedReplyError({ command, reply });
}

/** The 1-or-0 answer of the compare-and-* scripts; any other value is a protocol error, never a "no". */
export function flagReply(command: string, reply: unknown): boolean {
  const n = integerReply(command, reply);
  if (n === 1) return true;
  if (n === 0) return false;
  throw new UnexpectedReplyError({ command, reply });
}
