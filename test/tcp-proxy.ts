import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A real TCP proxy in front of the test PostgreSQL, for outages of one process's database only:
 * `cut()` drops every connection through it and refuses new ones (as a server that went away
 * does), `restore()` listens again on the same port. Bytes pass through untouched.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listening = false;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  /** A proxy to `target` listening on `port` (0: any free port). */
  static async start(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, port);
    await proxy.restore();
    return proxy;
  }

  /** A proxy to `target` on a free port that is not listening yet: connections to it are refused until `restore()`. */
  static async stopped(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    return new TcpProxy(target, port);
  }

  /** The URL of `url`'s database through this proxy. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  /** Listens (again) on the proxy's port. */
  async restore(): Promise<void> {
    if (this.listening) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.target, client);
      this.sockets.add(client).add(upstream);
      const drop = () => (client.destroy(), upstream.destroy(), this.sockets.delete(client), this.sockets.delete(upstream));
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    this.listening = true;
  }

  /** Drops every connection and stops listening: the database is gone for whoever uses this proxy. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.listening = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** How many connections pass through the proxy now. */
  get connections(): number {
    return this.sockets.size / 2;
  }
}

function createConnection(target: { host: string; port: number }, client: Socket): Socket {
  const upstream = connect(target.port, target.host);
  upstream.on("error", () => client.destroy());
  return upstream;
}
