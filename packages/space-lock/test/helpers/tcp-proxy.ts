import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP forwarder that a test can freeze, cut and restore, to make a
 * dependency (PostgreSQL, Redis) unreachable for a while without touching
 * the real server, which other suites share.
 */
export class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #frozen = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on a free loopback port and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port));
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new TcpProxy(port, target);
    await proxy.restore();
    return proxy;
  }

  /**
   * From now on nothing passes in either direction, and the connections stay
   * open: a link that froze (a partition, a dead NAT entry), which neither
   * side notices until its own timeouts.
   */
  freeze(): void {
    this.#frozen = true;
  }

  /** Refuses new connections and drops every open one, as a dead network path would. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts and forwards again, on the same port. */
  async restore(): Promise<void> {
    this.#frozen = false;
    if (this.#server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk) => void (this.#frozen || upstream.write(chunk)));
      upstream.on('data', (chunk) => void (this.#frozen || client.write(chunk)));
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
