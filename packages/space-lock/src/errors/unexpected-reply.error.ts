import { inspect } from 'node:util';

/**
 * A reply the lock cannot read, from a Redis command or script it sent. The
 * lock never takes such a reply as an answer: a refresh that gets one counts
 * as failed (the lease still runs out on time), a release as unconfirmed.
 */
export class UnexpectedReplyError extends Error {
  /** The command or script that got the reply, e.g. `refresh-1.lua`. */
  readonly command: string;
  readonly reply: unknown;

  constructor(details: { command: string; reply: unknown }) {
    super(
      `Unexpected reply to ${details.command}: ${inspect(details.reply, { depth: 1, maxStringLength: 80, breakLength: Infinity })}`,
    );
    this.name = new.target.name;
    this.command = details.command;
    this.reply = details.reply;
  }
}
