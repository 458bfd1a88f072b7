import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * A partner's webhook receiver for tests: verifies every message with the `standardwebhooks`
 * library (as a partner would), de-duplicates on `webhook-id`, and fails on purpose when told to:
 * 5xx, 410, a hang past the sender's timeout, a slow answer, or not listening at all (`stop()`).
 */
export type Behaviour = 'ok' | '500' | '503' | '410' | 'hang' | { slowMs: number };

export interface Received {
  id: string;
  type: string;
  orderNo: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  headers: Record<string, string>;
  verified: boolean;
}

export class TestReceiver {
  /** Every request that reached the handler, in arrival order (duplicates included). */
  readonly raw: Received[] = [];
  /** First arrival of each webhook-id that verified, in order: what a de-duplicating partner processes. */
  readonly processed: Received[] = [];
  private readonly seen = new Set<string>();
  private server?: Server;
  private port = 0;
  /** Behaviours to use next, one per request; `otherwise` once they run out. */
  readonly script: Behaviour[] = [];
  otherwise: Behaviour | ((r: Received) => Behaviour) = 'ok';
  secrets: string[];

  constructor(secret: string | string[] = []) {
    this.secrets = Array.isArray(secret) ? secret : [secret];
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Listens (again, on the same port after `stop()`); a no-op while listening. */
  async start(port = this.port): Promise<void> {
    if (this.server) return;
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stops listening (connections refused), keeping the port for `start()` again. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Waits until `n` distinct messages were processed (or fails after `ms`). */
  async waitFor(n: number, ms = 20_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.processed.length < n) {
      if (Date.now() > until) throw new Error(`receiver got ${this.processed.length} of ${n} messages`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const payload = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const verified = this.secrets.some((s) => {
      try {
        new Webhook(s).verify(payload, headers);
        return true;
      } catch {
        return false;
      }
    });
    const body = JSON.parse(payload) as Received['body'];
    const r: Received = {
      id: headers['webhook-id']!,
      type: body.type,
      orderNo: String(body.data.orderNo),
      body,
      headers,
      verified,
    };
    this.raw.push(r);
    const next = this.script.shift() ?? (typeof this.otherwise === 'function' ? this.otherwise(r) : this.otherwise);
    if (next === 'hang') return; // never answers: the sender's timeout must end it
    if (typeof next === 'object') await new Promise((x) => setTimeout(x, next.slowMs));
    if (next === 'ok' || typeof next === 'object') {
      if (!verified) {
        res.writeHead(401).end();
        return;
      }
      if (!this.seen.has(r.id)) {
        this.seen.add(r.id);
        this.processed.push(r);
      }
      res.writeHead(204).end();
      return;
    }
    res.writeHead(Number(next)).end();
  }
}

/** The processed messages grouped by order, as [type…] lists. */
export function typesByOrder(rs: readonly Received[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rs) (out[r.orderNo] ??= []).push(r.type);
  return out;
}
