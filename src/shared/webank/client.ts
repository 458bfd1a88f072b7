import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Config, Product, QueryApi } from '../platform/config';
import { WebankError, WebankHttpError, WebankNetworkError, WebankProtocolError, WebankTimeoutError } from './errors';
import { scalarText } from './json-value-capture';
import { queryPathOf } from './products';
import { newNonce, querySign } from './signature';

/** The only API version WeBank's oauth and query endpoints accept. */
export const WEBANK_VERSION = '1.0.0';

export interface WebankClientOptions {
  /** The base URL of each app (config's `app.baseUrl`): SaaS host, legacy host or the simulator. */
  apps: ReadonlyArray<{ appId: string; baseUrl: string; queryApi?: QueryApi; queryBaseUrl?: string }>;
  /** Connect + response headers must arrive within this; default 10 s (WEBANK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Longest silence while the caller waits for body bytes; default `timeoutMs`. */
  bodyIdleTimeoutMs?: number;
  /** Buffered answers (oauth, `queryJson`) larger than this are refused; default 16 MiB. */
  maxJsonBytes?: number;
}

export interface QueryParams {
  appId: string;
  orderNo: string;
  /** The SIGN ticket to sign with (from the ticket keeper). */
  ticket: string;
  /** `get_file` (see products.ts `getFileFor`); omitted = result only, no files. */
  getFile?: string;
  signal?: AbortSignal;
}

/** An open query answer whose body the caller stream-parses (videos run to 70 MB of base64). */
export interface OpenQuery {
  status: number;
  /** The raw response body, not buffered. Fails with WebankTimeoutError('body') when it stalls. */
  body: Readable;
  /** The nonce and sign this request used (secret-ish: never log them). */
  nonce: string;
  sign: string;
}

/** A query answer with code "0", buffered and parsed. */
export interface QueryAnswer {
  code: '0';
  msg: string;
  bizSeqNo?: string;
  transactionTime?: string;
  result: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * The one place that talks HTTP to WeBank: base URL per app, version, timeouts, and WeBank's
 * failure modes mapped to typed errors (errors.ts) so callers branch on types, not strings.
 * Built on node:http so a query body can be streamed with an idle timeout instead of buffered.
 */
export class WebankClient {
  private readonly baseUrls: ReadonlyMap<string, string>;
  /** Apps that pull results with queryfacerecord, and its host for each. */
  private readonly faceRecordUrls: ReadonlyMap<string, string>;
  private readonly timeoutMs: number;
  private readonly bodyIdleTimeoutMs: number;
  private readonly maxJsonBytes: number;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });

  constructor(opts: WebankClientOptions) {
    this.baseUrls = new Map(opts.apps.map((a) => [a.appId, a.baseUrl.replace(/\/+$/, '')]));
    this.faceRecordUrls = new Map(
      opts.apps
        .filter((a) => a.queryApi === 'queryfacerecord')
        .map((a) => [a.appId, (a.queryBaseUrl ?? a.baseUrl).replace(/\/+$/, '')]),
    );
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.bodyIdleTimeoutMs = opts.bodyIdleTimeoutMs ?? this.timeoutMs;
    this.maxJsonBytes = opts.maxJsonBytes ?? 16 * 1024 * 1024;
  }

  static fromConfig(cfg: Config): WebankClient {
    return new WebankClient({ apps: cfg.apps, timeoutMs: cfg.WEBANK_TIMEOUT_MS || undefined });
  }

  /** Step 1 of WeBank's auth: an access_token for the app (valid `expireIn` seconds). */
  async getAccessToken(appId: string, secret: string): Promise<{ accessToken: string; expireIn: number }> {
    const path = '/api/oauth2/access_token';
    const body = await this.getJson(appId, path, {
      app_id: appId,
      secret,
      grant_type: 'client_credential',
      version: WEBANK_VERSION,
    });
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') throw new WebankProtocolError(path, 'no access_token');
    return { accessToken, expireIn: seconds(body.expire_in, path) };
  }

  /** Step 2: the SIGN ticket for that token. Judge it by `expireIn` (seconds), never expire_time. */
  async getSignTicket(appId: string, accessToken: string): Promise<{ value: string; expireIn: number }> {
    const path = '/api/oauth2/api_ticket';
    const body = await this.getJson(appId, path, {
      app_id: appId,
      access_token: accessToken,
      type: 'SIGN',
      version: WEBANK_VERSION,
    });
    const first: unknown = Array.isArray(body.tickets) ? body.tickets[0] : undefined;
    if (!isRecord(first) || typeof first.value !== 'string' || first.value === '')
      throw new WebankProtocolError(path, 'no ticket in tickets[]');
    return { value: first.value, expireIn: seconds(first.expire_in, path) };
  }

  /**
   * Starts a signed result query and hands back the streaming body. HTTP errors are thrown here
   * (the body drained first); WeBank's `code` is inside the body, for the caller's parser to read.
   */
  async openQuery(product: Product, p: QueryParams): Promise<OpenQuery> {
    const nonce = newNonce();
    const sign = querySign({ appId: p.appId, orderNo: p.orderNo, version: WEBANK_VERSION, ticket: p.ticket, nonce });
    const faceRecordBase = this.faceRecordUrls.get(p.appId);
    let path: string;
    let res: IncomingMessage;
    if (faceRecordBase !== undefined) {
      // 1007/114181: POST …/queryfacerecord?orderNo=… with a JSON body, signed as sync is; getFile
      // as sync's get_file (1 both, 2 photo, 3 video, absent none).
      path = queryPathOf(product, 'queryfacerecord');
      const body: Record<string, string> = { appId: p.appId, version: WEBANK_VERSION, nonce, orderNo: p.orderNo, sign };
      if (p.getFile !== undefined) body.getFile = p.getFile;
      res = await this.request(p.appId, path, { orderNo: p.orderNo }, p.signal, { base: faceRecordBase, json: body });
    } else {
      path = queryPathOf(product);
      const query: Record<string, string> = {
        app_id: p.appId,
        version: WEBANK_VERSION,
        nonce,
        order_no: p.orderNo,
        sign,
      };
      if (p.getFile !== undefined) query.get_file = p.getFile;
      res = await this.request(p.appId, path, query, p.signal);
    }
    return {
      status: res.statusCode ?? 0,
      body: new IdleTimeoutBody(res, this.bodyIdleTimeoutMs, path, p.signal),
      nonce,
      sign,
    };
  }

  /** The path an app's result query goes to (its product's query, or queryfacerecord). */
  queryPath(appId: string, product: Product): string {
    return queryPathOf(product, this.faceRecordUrls.has(appId) ? 'queryfacerecord' : 'sync');
  }

  /** A query buffered and parsed: for small answers (no files, the recovery sweeper). Throws WebankError on code ≠ "0". */
  async queryJson(product: Product, p: QueryParams): Promise<QueryAnswer> {
    const path = this.queryPath(p.appId, product);
    const { body } = await this.openQuery(product, p);
    const json = await this.readJson(body, path);
    const result = json.result;
    if (result !== undefined && result !== null && !isRecord(result))
      throw new WebankProtocolError(path, 'result is not an object');
    return { ...json, code: '0', msg: scalarText(json.msg), result: result ?? {} };
  }

  /** Closes idle keep-alive sockets (shutdown, tests). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async getJson(appId: string, path: string, query: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await this.request(appId, path, query);
    return this.readJson(new IdleTimeoutBody(res, this.bodyIdleTimeoutMs, path), path);
  }

  /** Reads a whole (small) answer, parses it and turns a code other than "0" into WebankError. */
  private async readJson(body: Readable, path: string): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxJsonBytes) {
        body.destroy();
        throw new WebankProtocolError(path, `answer larger than ${this.maxJsonBytes} bytes`);
      }
      chunks.push(chunk);
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // Not JSON.parse's message: it quotes the body, which may hold personal data.
      throw new WebankProtocolError(path, `not JSON (${size} bytes)`);
    }
    if (!isRecord(json) || json.code === undefined || json.code === null)
      throw new WebankProtocolError(path, 'no code field');
    const code = scalarText(json.code);
    if (code !== '0') {
      const bizSeqNo = typeof json.bizSeqNo === 'string' ? json.bizSeqNo : undefined;
      throw new WebankError(code, scalarText(json.msg), path, bizSeqNo);
    }
    return json;
  }

  /**
   * GET (or, with `post.json`, POST of that JSON) with a deadline on connect + headers; non-2xx
   * answers are drained and thrown.
   */
  private request(
    appId: string,
    path: string,
    query: Record<string, string>,
    signal?: AbortSignal,
    post?: { base: string; json: Record<string, string> },
  ): Promise<IncomingMessage> {
    const base = post?.base ?? this.baseUrls.get(appId);
    if (base === undefined) return Promise.reject(new Error(`no WeBank base URL configured for app ${appId}`));
    const url = new URL(`${base}${path}?${new URLSearchParams(query).toString()}`);
    const isHttps = url.protocol === 'https:';
    const payload = post ? Buffer.from(JSON.stringify(post.json)) : undefined;
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const req = (isHttps ? https : http).request(url, {
        method: payload ? 'POST' : 'GET',
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        headers: payload
          ? {
              accept: 'application/json',
              'content-type': 'application/json',
              'content-length': String(payload.length),
            }
          : { accept: 'application/json' },
      });
      const timer = setTimeout(
        () => req.destroy(new WebankTimeoutError(path, 'headers', this.timeoutMs)),
        this.timeoutMs,
      );
      const onAbort = () => req.destroy(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      req.once('response', (res) => {
        settle();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        void drain(res).finally(() => reject(new WebankHttpError(status, path)));
      });
      req.on('error', (err) => {
        settle();
        if (err instanceof WebankTimeoutError || err === signal?.reason) reject(err);
        else reject(new WebankNetworkError(path, err));
      });
      req.end(payload);
    });
  }
}

/**
 * Passes a response body through, failing it with WebankTimeoutError('body') when the caller is
 * waiting for bytes and none come for `idleMs`. Time the caller spends not reading (slow S3
 * upload, backpressure) does not count: the clock runs only between `_read` and the next chunk.
 */
class IdleTimeoutBody extends Readable {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly src: IncomingMessage,
    private readonly idleMs: number,
    private readonly path: string,
    signal?: AbortSignal,
  ) {
    super({ highWaterMark: 64 * 1024 });
    src.on('data', (chunk: Buffer) => {
      this.disarm();
      if (!this.push(chunk)) src.pause();
    });
    src.once('end', () => {
      this.disarm();
      this.push(null);
    });
    src.once('error', (err) => this.destroy(new WebankNetworkError(path, err)));
    src.once('close', () => {
      if (!src.complete)
        this.destroy(new WebankNetworkError(path, new Error('connection closed before the answer was complete')));
    });
    src.pause();
    signal?.addEventListener('abort', () => this.destroy(signal.reason as Error), { once: true });
  }

  override _read(): void {
    this.timer ??= setTimeout(() => this.destroy(new WebankTimeoutError(this.path, 'body', this.idleMs)), this.idleMs);
    this.src.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.disarm();
    if (!this.src.complete) this.src.destroy();
    callback(err);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Reads and drops an error body so the keep-alive socket can be reused; gives up past 64 KiB. */
function drain(res: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const timer = setTimeout(() => res.destroy(), 5000);
    res.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > 64 * 1024) res.destroy();
    });
    res.once('error', () => undefined);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    res.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** WeBank sends expire_in as a number or a numeric string; anything else is a protocol error. */
function seconds(v: unknown, path: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0)
    throw new WebankProtocolError(path, 'expire_in missing or not a positive number');
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
