import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback for one test: `down()` makes a dependency unreachable (connections
 * refused, open ones cut) and `up()` brings it back on the same port; `rate` throttles what the
 * target sends back, so a large answer (a 30 MB video) takes seconds to arrive.
 */
export class TcpProxy {
  /** Bytes passed from the target to clients since start. */
  bytesToClient = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly targetPort: number,
    private rate: number | undefined,
    public port = 0,
  ) {}

  static async start(targetPort: number, opts: { bytesPerSecond?: number } = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, opts.bytesPerSecond);
    await proxy.up();
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Bytes per second from the target to each client; undefined = unthrottled. Applies to new data at once. */
  setRate(bytesPerSecond: number | undefined): void {
    this.rate = bytesPerSecond;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and cuts every open connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise((r) => server.close(r));
  }

  close(): Promise<void> {
    return this.down();
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    // Throttle target → client: after each chunk, pause until the rate allows what was sent.
    let windowStart = Date.now();
    let windowBytes = 0;
    let windowRate = this.rate;
    // Paused while either the client's buffer is full or the rate is ahead.
    let holds = 0;
    const hold = () => {
      holds++;
      upstream.pause();
    };
    const release = () => {
      if (--holds === 0) upstream.resume();
    };
    upstream.on('data', (chunk: Buffer) => {
      this.bytesToClient += chunk.length;
      if (!client.write(chunk)) {
        hold();
        client.once('drain', release);
      }
      if (this.rate !== windowRate) {
        windowRate = this.rate;
        windowStart = Date.now();
        windowBytes = 0;
      }
      if (!windowRate) return;
      windowBytes += chunk.length;
      const dueMs = (windowBytes / windowRate) * 1000 - (Date.now() - windowStart);
      if (dueMs > 0) {
        hold();
        setTimeout(release, dueMs);
      }
    });
    upstream.on('end', () => client.end());
  }
}
