import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { errorPacket, FLUSH_PKT, progressPacket, requestWantsSideband } from './side-band';

const RECEIVE_PACK_RESULT = 'application/x-git-receive-pack-result';
/** How much of the body to look at for the first command's capabilities. */
const PEEK_LIMIT_BYTES = 64 * 1024;

/**
 * Tells a pushing client, on a `remote:` line, that its push is waiting for the space's lock. That
 * needs the response started (a 200 and a side-band packet) before git's own answer exists, so it is
 * only done for a client that asked for side-band; a push that then cannot get the lock ends with a
 * side-band error instead of the 503 it would otherwise get.
 */
export class LockWaitNotice {
  readonly #timer: NodeJS.Timeout;
  /** Settles once the start of the body has been read and put back. */
  readonly #peeked: Promise<void>;
  #wantsSideband = false;
  #sent = false;
  #stopped = false;

  /**
   * Arms the notice for a receive-pack request: sent after `delayMs` unless `stop` came first. Reads
   * (and puts back) the start of the body to learn whether the client wants side-band; `stop` waits
   * for that, so the body is whole again before anyone else reads it.
   */
  constructor(
    body: Readable,
    encoding: string | undefined,
    private readonly res: ServerResponse,
    delayMs: number,
    private readonly beforeWrite: () => void,
  ) {
    // A compressed body would have to be inflated to be read; such a client just gets no notice.
    const readable = encoding === undefined || encoding === 'identity';
    this.#peeked = readable
      ? peek(body, delayMs).then((start) => {
          this.#wantsSideband = start !== undefined && requestWantsSideband(start) === true;
        })
      : Promise.resolve();
    this.#timer = setTimeout(() => this.#send(), delayMs);
    this.#timer.unref();
  }

  /** Whether the response has started with the notice. */
  get sent(): boolean {
    return this.#sent;
  }

  /** The wait is over (the lock was acquired, or refused): no notice from now on. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#peeked;
  }

  /** Ends a response the notice started, with git's fatal error band. */
  fail(message: string): void {
    if (!this.#sent || this.res.writableEnded || this.res.destroyed) return;
    this.res.end(Buffer.concat([errorPacket(message), FLUSH_PKT]));
  }

  #send(): void {
    if (this.#stopped || !this.#wantsSideband || this.res.headersSent || this.res.destroyed) return;
    this.beforeWrite();
    this.#sent = true;
    this.res.writeHead(200, { 'content-type': RECEIVE_PACK_RESULT, 'cache-control': 'no-cache' });
    this.res.write(progressPacket('git-sync: this space is busy with a sync; the push waits for it to finish…'));
  }
}

/**
 * The first bytes of a stream, without consuming them: read, then pushed back with `unshift`, so
 * whoever pipes the stream later gets every byte. Gives up after `timeoutMs` without data.
 */
function peek(body: Readable, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      body.off('readable', onReadable);
      body.off('end', finish);
      const start = Buffer.concat(chunks);
      // A body that ended inside its first pkt-line is malformed, and git refuses it whether or not
      // these bytes come back; putting them back after the end would throw.
      if (start.length > 0 && !body.readableEnded) body.unshift(start);
      resolve(start.length > 0 ? start : undefined);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = body.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
      }
      const start = Buffer.concat(chunks);
      if (size >= PEEK_LIMIT_BYTES || requestWantsSideband(start) !== undefined) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    body.on('readable', onReadable);
    body.once('end', finish);
  });
}
