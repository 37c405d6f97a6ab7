import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { INestApplication } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

const DRAIN_POLL_MS = 20;
const GIT_BODY = 'The server is shutting down. Please retry in a moment.\n';
const API_BODY = JSON.stringify({
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The server is shutting down; retry in a moment.',
});

/**
 * Stops the server in the order that keeps every answer honest:
 *
 * 1. every new request is answered 503 with `Retry-After` (and the
 *    connection closed), so a push arriving now is told to retry rather than
 *    meeting a lock that is already closed;
 * 2. requests in flight, pushes included, get up to `graceMs` to finish;
 * 3. the listener stops accepting;
 * 4. only then does the application close, which releases the space locks
 *    (`SpaceLockService.beforeApplicationShutdown`) and the connections.
 */
export class GracefulShutdown {
  #draining = false;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  #app: INestApplication | undefined;

  constructor(
    private readonly logger: PinoLogger,
    private readonly graceMs: number,
  ) {}

  /**
   * For `new FastifyAdapter({ serverFactory })`: the HTTP server answers a
   * draining request itself, so it never reaches the framework or a route.
   */
  readonly serverFactory = (handler: RequestListener): Server =>
    createServer((req, res) => {
      if (this.#admit(req, res)) handler(req, res);
    });

  /** The application to close; its HTTP server must come from `serverFactory`. */
  attach(app: INestApplication): void {
    this.#app = app;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Installs SIGTERM and SIGINT handlers that run `close`, then end the process with that signal. */
  handleSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void this.close(signal).finally(() => process.kill(process.pid, signal));
      });
    }
  }

  close(reason: string): Promise<void> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  async #close(reason: string): Promise<void> {
    this.#draining = true;
    this.logger.info({ reason, inFlight: this.#inFlight }, 'shutting down: new requests get 503');
    const deadline = performance.now() + this.graceMs;
    while (this.#inFlight > 0 && performance.now() < deadline) await delay(DRAIN_POLL_MS);
    if (this.#inFlight > 0)
      this.logger.warn(
        { inFlight: this.#inFlight, graceMs: this.graceMs },
        'shutting down with requests still in flight',
      );
    const app = this.#app;
    if (app === undefined) return;
    const server = app.getHttpServer() as Server;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.logger.info('http listener closed; releasing locks');
    await app.close();
  }

  /** False when the request was answered here (draining); otherwise counts it until its response closes. */
  #admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#draining) {
      const git = req.url?.startsWith('/git/') ?? false;
      const body = git ? GIT_BODY : API_BODY;
      res.writeHead(503, {
        'retry-after': '1',
        connection: 'close',
        'content-type': git ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return false;
    }
    this.#inFlight++;
    res.once('close', () => this.#inFlight--);
    return true;
  }
}
