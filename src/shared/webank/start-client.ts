import type { Config } from '../platform/config';
import { WebankError, WebankHttpError, WebankNetworkError, WebankProtocolError, WebankTimeoutError } from './errors';
import { scalarText } from './json-value-capture';

/** WeBank's version parameter on every start call. */
export const START_VERSION = '1.0.0';

/** What an identity upload grants: the id the login (or the App SDK) uses, and where to log in. */
export interface FaceIdAnswer {
  /** `result.h5faceId` (geth5faceid) or `result.faceId` (getAdvFaceId, getPlusFaceId, getfaceid). */
  faceId: string;
  /** Host the login URL goes to; unchecked here (see start-flow.ts). */
  optimalDomain?: string;
  bizSeqNo?: string;
}

export interface StartClientOptions {
  apps: ReadonlyArray<{ appId: string; baseUrl: string }>;
  /** Whole request, answer included; default 10 s (WEBANK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Start answers are small; anything larger is refused. Default 64 KiB. */
  maxAnswerBytes?: number;
}

const FACE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The two WeBank calls of a verification start that the result client (client.ts) does not
 * make: the identity upload (POST JSON) and the NONCE ticket (GET). Small buffered answers,
 * one timeout for the whole call, WeBank's failures as the typed errors of errors.ts. Messages
 * carry the path only: the body holds name, ID number and sign, the query the access_token.
 */
export class StartClient {
  private readonly baseUrls: ReadonlyMap<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;

  constructor(opts: StartClientOptions) {
    this.baseUrls = new Map(opts.apps.map((a) => [a.appId, a.baseUrl.replace(/\/+$/, '')]));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxAnswerBytes = opts.maxAnswerBytes ?? 64 * 1024;
  }

  static fromConfig(cfg: Config): StartClient {
    return new StartClient({ apps: cfg.apps, timeoutMs: cfg.WEBANK_TIMEOUT_MS || undefined });
  }

  /** `POST <path>?orderNo=` with the JSON body; the granted id from `result`. */
  async uploadIdentity(appId: string, path: string, orderNo: string, body: Record<string, string>) {
    const json = await this.call(appId, path, { orderNo }, JSON.stringify(body));
    const result = json.result;
    if (typeof result !== 'object' || result === null) throw new WebankProtocolError(path, 'no result object');
    const r = result as Record<string, unknown>;
    const faceId = scalarText(r.h5faceId ?? r.faceId);
    if (!FACE_ID.test(faceId)) throw new WebankProtocolError(path, 'no usable h5faceId/faceId in result');
    const answer: FaceIdAnswer = { faceId };
    const domain = scalarText(r.optimalDomain);
    if (domain) answer.optimalDomain = domain;
    const bizSeqNo = scalarText(r.bizSeqNo ?? json.bizSeqNo);
    if (bizSeqNo) answer.bizSeqNo = bizSeqNo.slice(0, 64);
    return answer;
  }

  /** `GET /api/oauth2/api_ticket?type=NONCE&user_id=`: a one-time ticket bound to that user. */
  async nonceTicket(appId: string, accessToken: string, userId: string): Promise<{ value: string; expireIn: number }> {
    const path = '/api/oauth2/api_ticket';
    const json = await this.call(appId, path, {
      appId,
      access_token: accessToken,
      type: 'NONCE',
      version: START_VERSION,
      user_id: userId,
    });
    const first: unknown = Array.isArray(json.tickets) ? json.tickets[0] : undefined;
    const t = (typeof first === 'object' && first !== null ? first : {}) as Record<string, unknown>;
    if (typeof t.value !== 'string' || t.value === '') throw new WebankProtocolError(path, 'no ticket in tickets[]');
    const expireIn = Number(t.expire_in);
    if (!Number.isFinite(expireIn) || expireIn <= 0)
      throw new WebankProtocolError(path, 'expire_in missing or not a positive number');
    return { value: t.value, expireIn };
  }

  private async call(
    appId: string,
    path: string,
    query: Record<string, string>,
    body?: string,
  ): Promise<Record<string, unknown>> {
    const base = this.baseUrls.get(appId);
    if (base === undefined) throw new Error(`no WeBank base URL configured for app ${appId}`);
    const url = `${base}${path}?${new URLSearchParams(query).toString()}`;
    let text: string;
    try {
      const res = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { accept: 'application/json', ...(body && { 'content-type': 'application/json;charset=UTF-8' }) },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new WebankHttpError(res.status, path);
      }
      text = await readLimited(res, this.maxAnswerBytes, path);
    } catch (err) {
      if (err instanceof WebankHttpError || err instanceof WebankProtocolError) throw err;
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new WebankTimeoutError(path, 'headers', this.timeoutMs);
      throw new WebankNetworkError(path, (err as Error & { cause?: unknown })?.cause ?? err);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WebankProtocolError(path, `not JSON (${text.length} characters)`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new WebankProtocolError(path, 'no code');
    const record = json as Record<string, unknown>;
    const code = scalarText(record.code);
    if (code === '') throw new WebankProtocolError(path, 'no code field');
    if (code !== '0') {
      const bizSeqNo = typeof record.bizSeqNo === 'string' ? record.bizSeqNo : undefined;
      throw new WebankError(code, scalarText(record.msg).slice(0, 200), path, bizSeqNo);
    }
    return record;
  }
}

async function readLimited(res: Response, max: number, path: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new WebankProtocolError(path, `answer larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
