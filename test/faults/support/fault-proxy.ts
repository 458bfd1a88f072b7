import net, { type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The HTTP request a connection is carrying now, as far as the proxy can tell from its first bytes. */
export interface ObservedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  /** The header block when it arrived with the request line (lower-cased names are not parsed). */
  head: string;
  /** Bytes client → server (request line, headers, body) and server → client (response) so far. */
  bytesUp: number;
  bytesDown: number;
}

export interface ProxyConnection {
  id: number;
  proxy: string;
  request?: ObservedRequest;
}

/** What an interceptor wants done with a chunk: pass it on, or pass only `forward` bytes and cut the connection. */
export type Verdict = { cut: true; forward: number } | undefined;

export type Interceptor = (ev: { conn: ProxyConnection; direction: 'up' | 'down'; chunk: Buffer }) => Verdict;

export interface ProxyStats {
  connections: number;
  refused: number;
  cut: number;
  requests: number;
  bytesUp: number;
  bytesDown: number;
}

const REQUEST_LINE = /(GET|PUT|POST|HEAD|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

interface Pipe {
  queue: Buffer[];
  pumping: boolean;
}

/**
 * A loopback TCP proxy the suite puts in front of a dependency (S3, WeBank) to make it
 * unavailable (`down`: every connection reset, new ones refused with a reset), slow (`slow`:
 * latency per chunk and a bandwidth cap), or to act at an exact point of a transfer through an
 * interceptor (the worker-kill triggers). It reads request lines to know which HTTP request a
 * connection carries; it never changes the bytes it passes.
 */
export class FaultProxy {
  private server?: Server;
  private readonly conns = new Map<number, { meta: ProxyConnection; client: Socket; upstream: Socket }>();
  private nextId = 1;
  private downSince?: number;
  private slowness?: { latencyMs: number; bytesPerSec: number };
  readonly stats: ProxyStats = { connections: 0, refused: 0, cut: 0, requests: 0, bytesUp: 0, bytesDown: 0 };
  port = 0;
  interceptor?: Interceptor;

  private constructor(
    readonly name: string,
    private readonly targetPort: number,
  ) {}

  static async start(name: string, targetPort: number): Promise<FaultProxy> {
    const p = new FaultProxy(name, targetPort);
    await p.listen();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** Resets every open connection and refuses new ones until `up()`. */
  down(): void {
    this.downSince = Date.now();
    for (const c of this.conns.values()) this.cutConnection(c.meta.id);
  }

  up(): void {
    this.downSince = undefined;
  }

  /** Adds `latencyMs` before each chunk and caps throughput, both directions, until `fast()`. */
  slow(latencyMs: number, bytesPerSec: number): void {
    this.slowness = { latencyMs, bytesPerSec };
  }

  fast(): void {
    this.slowness = undefined;
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) {
      c.client.destroy();
      c.upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.isDown) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.connections++;
    const id = this.nextId++;
    const meta: ProxyConnection = { id, proxy: this.name };
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    this.conns.set(id, { meta, client, upstream });
    const drop = () => {
      if (!this.conns.delete(id)) return;
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    this.relay(id, client, upstream, 'up');
    this.relay(id, upstream, client, 'down');
  }

  /** Moves chunks from `src` to `dst` in order, with the slowness and interceptor applied; pauses `src` while behind. */
  private relay(id: number, src: Socket, dst: Socket, direction: 'up' | 'down'): void {
    const pipe: Pipe = { queue: [], pumping: false };
    src.on('data', (chunk: Buffer) => {
      pipe.queue.push(chunk);
      if (pipe.queue.length > 8) src.pause();
      if (!pipe.pumping) void this.pump(id, src, dst, direction, pipe);
    });
    src.once('end', () => {
      const finish = () => (pipe.pumping ? setTimeout(finish, 5) : dst.end());
      finish();
    });
  }

  private async pump(id: number, src: Socket, dst: Socket, direction: 'up' | 'down', pipe: Pipe): Promise<void> {
    pipe.pumping = true;
    try {
      while (pipe.queue.length > 0) {
        const chunk = pipe.queue.shift() as Buffer;
        const c = this.conns.get(id);
        if (!c) return;
        const slow = this.slowness;
        if (slow) await sleep(slow.latencyMs + (chunk.length / Math.max(1, slow.bytesPerSec)) * 1000);
        if (!this.conns.has(id)) return;
        if (direction === 'up') this.observeRequest(c.meta, chunk);
        if (c.meta.request) {
          if (direction === 'up') c.meta.request.bytesUp += chunk.length;
          else c.meta.request.bytesDown += chunk.length;
        }
        const verdict = this.interceptor?.({ conn: c.meta, direction, chunk });
        if (verdict?.cut) {
          if (verdict.forward > 0) dst.write(chunk.subarray(0, verdict.forward));
          this.stats.cut++;
          // Let the partial chunk leave before the reset.
          setTimeout(() => this.cutConnection(id), 20);
          return;
        }
        if (direction === 'up') this.stats.bytesUp += chunk.length;
        else this.stats.bytesDown += chunk.length;
        if (!dst.write(chunk))
          await new Promise<void>((resolve) => {
            const done = () => {
              dst.off('drain', done);
              dst.off('close', done);
              resolve();
            };
            dst.once('drain', done);
            dst.once('close', done);
          });
        if (pipe.queue.length <= 2) src.resume();
      }
    } finally {
      pipe.pumping = false;
    }
  }

  private observeRequest(meta: ProxyConnection, chunk: Buffer): void {
    const text = chunk.toString('latin1', 0, Math.min(chunk.length, 64 * 1024));
    REQUEST_LINE.lastIndex = 0;
    let m: RegExpExecArray | null;
    let last: RegExpExecArray | undefined;
    while ((m = REQUEST_LINE.exec(text))) last = m;
    if (!last) return;
    const end = text.indexOf('\r\n\r\n', last.index);
    meta.request = {
      method: last[1] as string,
      target: last[2] as string,
      head: text.slice(last.index, end >= 0 ? end : Math.min(text.length, last.index + 8192)),
      bytesUp: 0,
      bytesDown: 0,
    };
    this.stats.requests++;
  }

  private cutConnection(id: number): void {
    const c = this.conns.get(id);
    if (!c) return;
    this.conns.delete(id);
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
  }
}
